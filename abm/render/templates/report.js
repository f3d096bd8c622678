
window.addEventListener("load", function () {
  var imgs = document.getElementsByTagName("img");
  for (var i = 0; i < imgs.length; i++) {
    var ok = imgs[i].complete && imgs[i].naturalWidth > 0;
    imgs[i].setAttribute("data-rendered", ok ? "1" : "0");
  }
  document.body.setAttribute("data-images", String(imgs.length));
});
