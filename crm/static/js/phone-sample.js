// Import preview: when the person picks another country for phones without a calling
// code, or maps a column to phone or country by hand, show the first phones as the
// import will read them (asked of the server, which reads them as the import will).
// Without JavaScript the sample shows the detected mapping and the preset country, and
// the import still uses what was chosen.
(function () {
  "use strict";

  var select = document.getElementById("phone-region");
  var sample = document.getElementById("phone-sample");
  var mapping = document.getElementById("mapping");
  if (!select || !sample || !window.fetch) {
    return;
  }
  var list = sample.querySelector(".phone-sample-items");
  var url = sample.getAttribute("data-url");
  var none = sample.getAttribute("data-none");
  var watched = ["phone", "country"];
  var columns = mapping ? mapping.querySelectorAll("select[data-header]") : [];

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
    sample.hidden = phones.length === 0;
  }

  function query() {
    var parts = ["region=" + encodeURIComponent(select.value)];
    if (columns.length) {
      parts.push("mapped=1");
      Array.prototype.forEach.call(columns, function (column) {
        if (watched.indexOf(column.value) >= 0) {
          parts.push(column.value + "=" + encodeURIComponent(column.getAttribute("data-header")));
        }
      });
    }
    return url + "?" + parts.join("&");
  }

  function refresh() {
    fetch(query(), { credentials: "same-origin", headers: { Accept: "application/json" } })
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
        // Keep what is shown; the import reads the phones as chosen anyway.
      });
  }

  select.addEventListener("change", refresh);
  Array.prototype.forEach.call(columns, function (column) {
    var before = column.value;
    column.addEventListener("change", function () {
      if (watched.indexOf(before) >= 0 || watched.indexOf(column.value) >= 0) {
        refresh();
      }
      before = column.value;
    });
  });
})();
