/* "Use my location" on the near-me page. The page works without this script.
   The position is rounded to 2 decimals (about 1 km) here, before it leaves the phone. */
(function () {
  "use strict";
  var button = document.getElementById("use-location");
  var form = document.getElementById("near-form");
  var status = document.getElementById("location-status");
  if (!button || !form || !status || !("geolocation" in navigator)) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    status.textContent = button.getAttribute("data-waiting");
    navigator.geolocation.getCurrentPosition(function (position) {
      var params = new URLSearchParams();
      new FormData(form).forEach(function (value, name) {
        if (value && name !== "country" && name !== "area" && name !== "lat" && name !== "lon") {
          params.append(name, value);
        }
      });
      params.set("lat", position.coords.latitude.toFixed(2));
      params.set("lon", position.coords.longitude.toFixed(2));
      window.location.assign(form.getAttribute("action") + "?" + params.toString());
    }, function () {
      status.textContent = button.getAttribute("data-failed");
    }, { enableHighAccuracy: false, timeout: 20000, maximumAge: 600000 });
  });
})();
