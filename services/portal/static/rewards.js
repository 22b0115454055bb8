// 兑换核销: where the browser can read QR codes (BarcodeDetector, e.g. Chrome on Android), 📷 扫码 opens the camera,
// fills the code in and submits; elsewhere staff type the letters shown under the code.
(function () {
  const button = document.getElementById("scan-button");
  const video = document.getElementById("scan-video");
  const input = document.getElementById("code-input");
  const hint = document.getElementById("scan-hint");
  if (!button || !("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  button.hidden = false;
  button.addEventListener("click", async () => {
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    } catch (e) {
      hint.hidden = false;
      hint.textContent = "无法打开摄像头，请直接输入兑换码";
      return;
    }
    const detector = new BarcodeDetector({ formats: ["qr_code"] });
    video.srcObject = stream;
    video.hidden = false;
    hint.hidden = false;
    await video.play();
    const tick = async () => {
      const found = await detector.detect(video).catch(() => []);
      if (found.length) {
        stream.getTracks().forEach((t) => t.stop());
        input.value = found[0].rawValue;
        input.form.submit();
        return;
      }
      setTimeout(tick, 300);
    };
    tick();
  });
})();
