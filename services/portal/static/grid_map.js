// 我要吹哨 map pin: the chosen community's grids drawn from their GeoJSON (no tile server: the map works offline), a
// tap puts or moves the pin, 使用当前位置 asks the browser for the device's position; either fills the form's latitude
// and longitude and asks the portal which grid the point lies in (GET /file/locate, the rule filing uses). A pin in
// another community's grid switches the 所属社区 select to it; a pin outside every grid selects 由街道分拨 (the form
// then sends no community, and intake puts the ticket in the street's triage queue). The photo picker's "use the
// photo's position" and this pin share the same two inputs and tell each other through a `whistle:location` event.
(function () {
  "use strict";
  var TEXT = {
    loading: "正在加载网格地图…",
    noGrids: "本社区暂无网格边界，可在下方填写地址或使用当前位置。",
    locating: "正在确认所在网格…",
    inside: function (place) { return "位于" + place.name + (place.community_name ? "（" + place.community_name + "）" : ""); },
    outside: "该位置不在本街道任何网格内。仍可提交，将由街道统一分拨到社区。",
    unknown: "暂时无法判断所在网格，可以直接提交。",
    locatingDevice: "正在获取当前位置…",
    denied: "未获得定位权限：请在浏览器设置中允许定位，或在地图上点选位置。",
    unavailable: "暂时无法获取当前位置，请在地图上点选位置或填写地址。",
    timeout: "获取当前位置超时，请重试或在地图上点选位置。",
    unsupported: "此浏览器不支持定位，请在地图上点选位置。",
    street: "位置不在网格内（由街道分拨）",
    coords: function (lat, lng) { return "（" + lat.toFixed(5) + ", " + lng.toFixed(5) + "）"; }
  };
  var GRID_STYLE = { color: "#c8312b", weight: 2, fillColor: "#c8312b", fillOpacity: 0.08 };

  function setup(box) {
    var form = box.closest("form");
    var canvas = box.querySelector(".map-canvas");
    var status = box.querySelector(".map-status");
    var here = box.querySelector(".map-here");
    var clear = box.querySelector(".map-clear");
    var latitude = form.querySelector("input[name=latitude]");
    var longitude = form.querySelector("input[name=longitude]");
    var community = form.querySelector("select[name=community_id]");
    var home = community ? community.value : "";
    var map = null, layer = null, pin = null, drawn = null, viewSet = false;
    var asked = 0, locating = false, submitAfter = false;

    function say(text, tone) {
      status.textContent = text || "";
      status.className = "map-status small" + (tone ? " " + tone : "");
    }
    function streetOption(on) {
      if (!community) return;
      var option = community.querySelector("option[value='']");
      if (on && !option) {
        option = document.createElement("option");
        option.value = "";
        option.textContent = TEXT.street;
        community.insertBefore(option, community.firstChild);
      }
      if (on) community.value = "";
      else if (option) option.remove();
    }
    function chosenCommunity() { return community && community.value ? community.value : home; }

    function ensureMap() {
      if (map) {
        if (canvas.hidden) { canvas.hidden = false; map.invalidateSize(); }
        return map;
      }
      canvas.hidden = false;
      map = L.map(canvas, { attributionControl: false, zoomSnap: 0.25 });
      box.whistleMap = map;  // for the browser tests: where a point is on the screen
      map.on("click", function (event) { place(event.latlng.lat, event.latlng.lng, "map"); });
      return map;
    }
    function draw(communityId) {
      if (drawn === communityId) return;
      drawn = communityId;
      if (!status.textContent) say(TEXT.loading);  // never over what the pin says
      fetch(box.getAttribute("data-grids") + "?community_id=" + encodeURIComponent(communityId), { credentials: "same-origin" })
        .then(function (response) {
          return response.json().catch(function () { return {}; }).then(function (data) {
            if (drawn !== communityId) return;
            if (!response.ok) { say(data.error || TEXT.unknown, "bad"); return; }
            if (!data.features || !data.features.length) {
              if (layer) { layer.remove(); layer = null; }
              if (!pin) { canvas.hidden = true; say(TEXT.noGrids); }
              return;
            }
            ensureMap();
            if (layer) layer.remove();
            layer = L.geoJSON(data, {
              style: GRID_STYLE,
              interactive: false,
              onEachFeature: function (feature, polygon) {
                var name = String(feature.properties.name || feature.properties.grid_id);
                var short = name.split("（")[0];  // 馨然嘉园第一网格（馨然嘉园南区）: the full name shows once pinned
                polygon.bindTooltip(short, { permanent: true, direction: "center", className: "grid-label" });
              }
            }).addTo(map);
            map.fitBounds(layer.getBounds(), { padding: [8, 8] });
            viewSet = true;
            if (pin) pin.addTo(map);
            if (status.textContent === TEXT.loading) say("");
          });
        })
        .catch(function () { if (drawn === communityId) say(TEXT.unknown, "bad"); });
    }

    function announce(lat, lng, source) {
      form.dispatchEvent(new CustomEvent("whistle:location", { detail: { latitude: lat, longitude: lng, source: source } }));
    }
    function place(lat, lng, source, quiet) {
      latitude.value = lat.toFixed(6);
      longitude.value = lng.toFixed(6);
      ensureMap();
      if (!viewSet) { map.setView([lat, lng], 15); viewSet = true; }
      if (!pin) {
        pin = L.marker([lat, lng], { draggable: true, keyboard: false, title: "问题位置" });
        pin.on("dragend", function () { var p = pin.getLatLng(); place(p.lat, p.lng, "map"); });
      }
      pin.setLatLng([lat, lng]).addTo(map);
      clear.hidden = false;
      if (source === "gps" || source === "photo") map.panTo([lat, lng], { animate: false });
      if (!quiet) announce(lat, lng, source);
      locate(lat, lng);
    }
    function locate(lat, lng) {
      var ask = ++asked;
      locating = true;
      say(TEXT.locating);
      var url = box.getAttribute("data-locate") + "?latitude=" + lat.toFixed(6) + "&longitude=" + lng.toFixed(6);
      fetch(url, { credentials: "same-origin" })
        .then(function (response) {
          return response.json().catch(function () { return {}; }).then(function (data) {
            if (ask !== asked) return;
            if (!response.ok) { say(data.error || TEXT.unknown, "bad"); return; }
            if (data.grid_id) {
              streetOption(false);
              if (community && data.community_id) community.value = data.community_id;
              say(TEXT.inside(data) + " " + TEXT.coords(lat, lng), "good");
              box.setAttribute("data-grid", data.grid_id);
              draw(data.community_id);
            } else {
              streetOption(true);
              say(TEXT.outside + " " + TEXT.coords(lat, lng), "warn");
              box.setAttribute("data-grid", "");
            }
          });
        })
        .catch(function () { if (ask === asked) say(TEXT.unknown, "bad"); })
        .then(function () {
          if (ask !== asked) return;
          locating = false;
          if (submitAfter) { submitAfter = false; form.requestSubmit(); }
        });
    }
    function unpin(quiet) {
      asked++;
      locating = false;
      if (pin) { pin.remove(); pin = null; }
      latitude.value = "";
      longitude.value = "";
      clear.hidden = true;
      box.removeAttribute("data-grid");
      streetOption(false);
      if (community && !community.value) community.value = home;
      say("");
      if (!quiet) announce(null, null, "map");
    }

    here.addEventListener("click", function () {
      if (!navigator.geolocation) { say(TEXT.unsupported, "bad"); return; }
      say(TEXT.locatingDevice);
      navigator.geolocation.getCurrentPosition(
        function (position) { place(position.coords.latitude, position.coords.longitude, "gps"); },
        function (error) {
          say(error.code === 1 ? TEXT.denied : error.code === 3 ? TEXT.timeout : TEXT.unavailable, "bad");
        },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    });
    clear.addEventListener("click", function () { unpin(false); });
    if (community) {
      community.addEventListener("change", function () { if (community.value) draw(community.value); });
    }
    form.addEventListener("whistle:location", function (event) {
      var d = event.detail || {};
      if (d.source !== "photo") return;  // ours, echoed
      if (d.latitude === null || d.latitude === undefined) unpin(true);
      else place(d.latitude, d.longitude, "photo", true);
    });
    form.addEventListener("submit", function (event) {
      if (locating) { event.preventDefault(); submitAfter = true; }  // the community follows the pin: wait for it
    });

    box.hidden = false;
    draw(chosenCommunity());
    if (latitude.value && longitude.value) {
      place(parseFloat(latitude.value), parseFloat(longitude.value), "form", true);
    }
  }

  if (window.L) document.querySelectorAll("[data-map-pin]").forEach(setup);
})();
