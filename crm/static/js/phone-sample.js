// Import preview: when the person picks another country for phones without a calling
// code, show the first phones as that country would read them (asked of the server,
// which reads them as the import will). Without JavaScript the sample shows the preset
// country and the import still uses the one chosen.
(function () {
  "use strict";

  var select = document.getElementById("phone-region");
  var sample = document.getElementById("phone-sample");
  if (!select || !sample || !window.fetch) {
    return;
  }
  var list = sample.querySelector(".phone-sample-items");
  var url = sample.getAttribute("data-url");
  var none = sample.getAttribute("data-none");

  function render(phones) {
    while (list.firstChild) {
      list.removeChild(list.firstChild);
    }
    phones.forEach(function (phone, index) {
      if (index > 0) {
        list.appendChild(document.createTextNode("; "));
      }
      var item = document.createElement("span");
      item.className = "text-nowrap";
      item.textContent = phone.written + " → " + (phone.stored || none);
      list.appendChild(item);
    });
  }

  select.addEventListener("change", function () {
    var query = url + "?region=" + encodeURIComponent(select.value);
    fetch(query, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        render(data.phones || []);
        sample.setAttribute("data-region", select.value);
      })
      .catch(function () {
        // Keep what is shown; the import reads the phones with the chosen country anyway.
      });
  });
})();
