// 我要吹哨 photo picker: previews at once, uploads through the portal (POST /file/photos, the person's own session),
// keeps each photo's reference in a hidden `attachments` input, and offers a photo's GPS position as the problem's
// location; the position is sent only while the box is ticked.
(function () {
  "use strict";
  var TEXT = {
    uploading: "正在上传照片…",
    tooMany: function (max) { return "最多只能上传 " + max + " 张照片。"; },
    failed: "照片上传未成功，请重试。",
    offline: "网络异常，照片没有上传，请重试。",
    remove: "删除这张照片",
    photo: function (n) { return "现场照片 " + n; }
  };

  function setup(box) {
    if (box.hasAttribute("data-ready")) return;  // a page with several pickers includes this script once per picker
    box.setAttribute("data-ready", "");
    var form = box.closest("form");
    var list = box.querySelector(".photo-previews");
    var adder = box.querySelector(".photo-add");
    var input = adder.querySelector("input[type=file]");
    var status = box.querySelector(".photo-status");
    var place = box.querySelector(".photo-location");
    var useLocation = box.querySelector(".photo-use-location");
    var coords = box.querySelector(".photo-coords");
    var latitude = form.querySelector("input[name=latitude]");
    var longitude = form.querySelector("input[name=longitude]");
    var submit = form.querySelector("button.primary, button[type=submit]");
    var max = parseInt(box.getAttribute("data-max"), 10) || 9;
    var pending = 0;
    var suggested = null;

    function say(text, bad) {
      status.textContent = text || "";
      status.classList.toggle("bad", !!bad);
    }
    function tiles() { return list.querySelectorAll("li:not(.photo-add)").length; }
    function refresh() {
      adder.hidden = tiles() >= max;
      if (submit) submit.disabled = pending > 0;
      var n = 0;
      list.querySelectorAll("li:not(.photo-add) img").forEach(function (img) { img.alt = TEXT.photo(++n); });
    }
    function removable(li) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "photo-remove";
      button.setAttribute("aria-label", TEXT.remove);
      button.textContent = "×";
      li.appendChild(button);
    }
    function tile(src) {
      var li = document.createElement("li");
      li.className = "uploading";
      var img = document.createElement("img");
      img.src = src;
      li.appendChild(img);
      list.insertBefore(li, adder);
      return li;
    }
    function done(li, photo) {
      li.className = "";
      li.setAttribute("data-ref", photo.url);
      var img = li.querySelector("img");
      if (img.src.indexOf("blob:") === 0) URL.revokeObjectURL(img.src);
      img.src = photo.thumbnail_url;
      var hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = "attachments";
      hidden.value = photo.url;
      li.appendChild(hidden);
      removable(li);
    }
    function drop(li) {
      var img = li.querySelector("img");
      if (img && img.src.indexOf("blob:") === 0) URL.revokeObjectURL(img.src);
      li.remove();
    }
    function applyLocation() {
      var on = useLocation.checked && suggested;
      latitude.value = on ? suggested.latitude : "";
      longitude.value = on ? suggested.longitude : "";
      // the map pin (grid_map.js) shares these inputs: it moves to the photo's position, or goes
      form.dispatchEvent(new CustomEvent("whistle:location", {
        detail: { latitude: on ? suggested.latitude : null, longitude: on ? suggested.longitude : null, source: "photo" }
      }));
    }
    function offer(location) {
      if (!location || suggested) return;  // the first photo that knows where it was taken
      suggested = location;
      coords.textContent = "（" + location.latitude.toFixed(5) + ", " + location.longitude.toFixed(5) + "）";
      place.hidden = false;
    }

    if (latitude.value && longitude.value) {
      suggested = { latitude: parseFloat(latitude.value), longitude: parseFloat(longitude.value) };
    }
    useLocation.addEventListener("change", applyLocation);
    form.addEventListener("whistle:location", function (event) {
      if (event.detail && event.detail.source !== "photo") useLocation.checked = false;  // pinned elsewhere on the map
    });
    list.addEventListener("click", function (event) {
      var button = event.target.closest(".photo-remove");
      if (!button) return;
      drop(button.closest("li"));
      say("");
      refresh();
    });

    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files || []);
      input.value = "";
      var room = max - tiles();
      if (files.length > room) {
        say(TEXT.tooMany(max), true);
        files = files.slice(0, Math.max(room, 0));
      } else {
        say("");
      }
      if (!files.length) return;
      var body = new FormData();
      var waiting = files.map(function (file) {
        body.append("photos", file, file.name);
        return tile(URL.createObjectURL(file));
      });
      pending += 1;
      refresh();
      if (!status.textContent) say(TEXT.uploading);
      var csrf = document.querySelector('meta[name="csrf-token"]');  // the page's CSRF token (services/portal/security.py)
      fetch(box.getAttribute("data-upload"), { method: "POST", body: body, credentials: "same-origin",
                                              headers: { "X-CSRF-Token": csrf ? csrf.content : "" } })
        .then(function (response) {
          return response.json().catch(function () { return {}; }).then(function (data) {
            if (!response.ok || !data.photos) {
              waiting.forEach(drop);
              say(data.error || TEXT.failed, true);
              return;
            }
            data.photos.forEach(function (photo, i) { done(waiting[i], photo); });
            offer(data.suggested_location);
            if (status.textContent === TEXT.uploading) say("");
          });
        })
        .catch(function () {
          waiting.forEach(drop);
          say(TEXT.offline, true);
        })
        .then(function () {
          pending -= 1;
          refresh();
        });
    });

    list.querySelectorAll("li[data-ref]").forEach(function (li) {
      if (!li.querySelector(".photo-remove")) removable(li);
    });
    refresh();
  }

  document.querySelectorAll("[data-photo-picker]").forEach(setup);
})();
