// 吹哨报到 on the department worklist (and the dashboard's figures): fill the slot from its panel, run each countdown to the on-site due time, and
// send the phone's position with 到场报到 (navigator.geolocation); without a position the note says where one is.
(function () {
  "use strict";

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function countdownText(ms) {
    var s = Math.floor(Math.abs(ms) / 1000), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    var text = (h ? h + "小时" : "") + m + "分" + pad(sec) + "秒";
    return ms >= 0 ? "剩余 " + text : "已超时 " + text;
  }

  function tick(root) {
    root.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      var left = new Date(el.getAttribute("data-due")).getTime() - Date.now();
      var out = el.querySelector(".left");
      if (out) out.textContent = countdownText(left);
      el.classList.toggle("overdue", left < 0);
    });
  }

  function wireCheckIns(root) {
    root.querySelectorAll("form.check-in").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        var lat = form.querySelector("[name=latitude]"), lon = form.querySelector("[name=longitude]");
        var note = form.querySelector("[name=note]"), state = form.querySelector(".geo-state");
        if (lat.value || !navigator.geolocation) return;  // a position already, or none to ask for: send as it is
        event.preventDefault();
        state.hidden = false;
        state.textContent = "正在获取定位……";
        navigator.geolocation.getCurrentPosition(function (pos) {
          lat.value = pos.coords.latitude.toFixed(6);
          lon.value = pos.coords.longitude.toFixed(6);
          form.submit();
        }, function () {
          if (note.value.trim()) { form.submit(); return; }
          state.textContent = "无法获取定位，请填写所在位置后再点“到场报到”。";
          note.required = true;
          note.focus();
        }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
      });
    });
  }

  function start(root) {
    wireCheckIns(root);
    tick(root);
    setInterval(function () { tick(root); }, 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var slot = document.querySelector("[data-summons-src]");
    if (!slot) { start(document); return; }
    fetch(slot.getAttribute("data-summons-src"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        slot.replaceChildren.apply(slot, Array.prototype.slice.call(doc.body.children));
        start(slot);
      });
  });
})();
