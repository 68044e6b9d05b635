// Read a barcode (a box's EAN-13) or a QR code (a prescription's number) with the phone's
// camera into a field, then send the field's form as Enter would. A keyboard-wedge scanner
// needs none of this: it types into the field and presses Enter.
//
// A button <button type="button" data-scan-into="FIELD-ID" data-scan-video="VIDEO-ID"
// hidden> is shown only where a camera can be asked for; the page's own BarcodeDetector
// is used where the browser has one, else the pinned ZXing library served by the app.
(function () {
  "use strict";
  var FORMATS = ["qr_code", "ean_13", "ean_8", "code_128"];

  function detectorLoop(video, done) {
    var detector = new window.BarcodeDetector({ formats: FORMATS });
    var stopped = false;
    function tick() {
      if (stopped) return;
      detector.detect(video).then(function (found) {
        if (found.length) { stopped = true; done(found[0].rawValue); }
        else { window.setTimeout(tick, 150); }
      }).catch(function () { window.setTimeout(tick, 300); });
    }
    tick();
    return function () { stopped = true; };
  }

  function start(button) {
    var field = document.getElementById(button.dataset.scanInto);
    var video = document.getElementById(button.dataset.scanVideo);
    if (!field || !video) return;
    video.hidden = false;
    button.disabled = true;
    var finish = function (text) {
      field.value = String(text).trim();
      video.hidden = true;
      button.disabled = false;
      var form = field.form;
      if (form && form.requestSubmit) {
        form.requestSubmit(form.querySelector("[data-scan-submit]") || undefined);
      }
    };
    if ("BarcodeDetector" in window) {
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
        video.srcObject = stream;
        video.play();
        var stop = detectorLoop(video, function (text) {
          stream.getTracks().forEach(function (t) { t.stop(); });
          finish(text);
        });
        button.addEventListener("blur", stop, { once: true });
      }).catch(function () { video.hidden = true; button.disabled = false; });
      return;
    }
    if (!window.ZXingBrowser) { video.hidden = true; button.disabled = false; return; }
    var reader = new window.ZXingBrowser.BrowserMultiFormatReader();
    reader.decodeOnceFromVideoDevice(undefined, video).then(function (result) {
      finish(result.getText());
    }).catch(function () { video.hidden = true; button.disabled = false; });
  }

  function wire(root) {
    var can = !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
    root.querySelectorAll("[data-scan-into]").forEach(function (button) {
      if (button.dataset.scanWired) return;
      button.dataset.scanWired = "1";
      button.hidden = !can;
      button.addEventListener("click", function () { start(button); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { wire(document); });
  document.addEventListener("htmx:afterSwap", function (event) { wire(event.target); });
})();
