/*
 * Frontrunner: live refresh while a ceremony's envelopes are opening. Our own, no libraries.
 *
 * Progressive enhancement of an element marked data-live-root (the leaderboard's or the groups' table partial).
 * Every few seconds (data-poll-seconds) it fetches the same URL with ?fragment=1, which the server
 * answers with that element alone, and swaps it in when its data-version changed. The polite live
 * region #live-status then says what happened ("Updated 19:42:05 — Best Picture announced"). Polling
 * stops when the server says the ceremony is no longer live (data-live="false"), pauses while the tab
 * is hidden, and backs off after errors. Without this script, reloading the page does the same.
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-live-root]");
  if (!root || !window.fetch || !window.URL) return;

  var status = document.querySelector("#live-status [data-live-summary]");
  var every = (parseInt(root.getAttribute("data-poll-seconds"), 10) || 5) * 1000;
  var MAX_DELAY = 60000;
  var delay = every;
  var timer = null;
  var inFlight = false;
  // For the browser tests and the curious: how many polls and swaps this page has made.
  var live = (window.frontrunnerLive = { polls: 0, updates: 0, stopped: false });

  function fragmentUrl() {
    var url = new URL(window.location.href);
    url.hash = "";
    url.searchParams.set("fragment", "1");
    return url.toString();
  }

  function schedule() {
    window.clearTimeout(timer);
    if (!live.stopped) timer = window.setTimeout(poll, delay);
  }

  function swap(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    var fresh = template.content.querySelector("[data-live-root]");
    if (!fresh) return;
    if (fresh.getAttribute("data-version") !== root.getAttribute("data-version")) {
      // Keep focus on the same link (by its href) when the table under it is replaced.
      var focused = root.contains(document.activeElement) ? document.activeElement.getAttribute("href") : null;
      root.replaceWith(fresh);
      root = fresh;
      live.updates += 1;
      if (focused) {
        var again = root.querySelector('a[href="' + focused.replace(/"/g, '\\"') + '"]');
        if (again) again.focus();
      }
      root.classList.add("just-updated");
      if (status) status.textContent = root.getAttribute("data-summary") || "Updated";
    }
    if (fresh.getAttribute("data-live") !== "true") {
      live.stopped = true;
      var region = document.getElementById("live-status");
      if (region) region.classList.remove("is-live");
      var dot = region && region.querySelector(".live-dot");
      if (dot) dot.remove();
    }
  }

  function poll() {
    if (document.hidden) return; // resumed by visibilitychange
    if (inFlight) return schedule();
    inFlight = true;
    live.polls += 1;
    fetch(fragmentUrl(), { credentials: "same-origin", cache: "no-store", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        swap(html);
        delay = every;
      })
      .catch(function () {
        delay = Math.min(delay * 2, MAX_DELAY);
      })
      .then(function () {
        inFlight = false;
        schedule();
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && !live.stopped) {
      delay = every;
      poll();
    }
  });

  if (root.getAttribute("data-live") === "true") schedule();
})();
