/*
 * Frontrunner: the category ballot's sortable list. Our own, no libraries, no build step.
 *
 * Progressive enhancement of <ol id="ranking" data-ranking>: without this script the numbered
 * selects (and the Move up / Move down submit buttons, handled by the server) do the same job.
 * With it, the list order is the ranking: drag an item (mouse, pen, or the handle on a touch
 * screen), or focus it and press ArrowUp / ArrowDown / Home / End, or use its Move buttons. After
 * every change the selects are set to 1..n in list order, so the form posts the same fields as
 * it does without JavaScript, and a polite live region says where the item went.
 */
(function () {
  "use strict";

  var list = document.querySelector("ol[data-ranking]");
  if (!list) return;
  var form = list.closest("form");
  var status = document.getElementById("ranking-status");
  var motionQuery = window.matchMedia ? window.matchMedia("(prefers-reduced-motion: reduce)") : null;
  var DRAG_THRESHOLD = 4; // pixels a pointer travels before a press becomes a drag

  function items() {
    return Array.prototype.filter.call(list.children, function (el) {
      return el.classList.contains("rank-item");
    });
  }

  function labelOf(item) {
    return item.getAttribute("data-label") || item.textContent.trim();
  }

  function reduceMotion() {
    return Boolean(motionQuery && motionQuery.matches);
  }

  // Positions, accessible labels and selects follow the list order.
  function refresh() {
    var all = items();
    var total = all.length;
    all.forEach(function (item, index) {
      var position = index + 1;
      item.setAttribute("aria-label", labelOf(item) + ", position " + position + " of " + total);
      var badge = item.querySelector(".rank-position");
      if (badge) badge.textContent = String(position);
      var select = item.querySelector("select[name^='rank_']");
      if (select) select.value = String(position);
    });
  }

  function announce(text) {
    if (!status) return;
    // A message identical to the last one ("already at position 1") is not read again unless it changes.
    status.textContent = status.textContent === text ? text + "\u00a0" : text;
  }

  function describe(item) {
    var all = items();
    return "position " + (all.indexOf(item) + 1) + " of " + all.length;
  }

  function flash(item) {
    if (reduceMotion()) return;
    item.classList.remove("just-moved");
    void item.offsetWidth; // restart the animation
    item.classList.add("just-moved");
  }

  // Moves `item` to `index` (0-based, clamped). Returns whether the order changed.
  function moveTo(item, index) {
    var all = items();
    var from = all.indexOf(item);
    index = Math.max(0, Math.min(all.length - 1, index));
    if (from === -1) return false;
    if (index === from) {
      announce(labelOf(item) + " is already at " + describe(item));
      return false;
    }
    var target = all[index];
    list.insertBefore(item, index > from ? target.nextSibling : target);
    refresh();
    flash(item);
    announce(labelOf(item) + " moved to " + describe(item));
    return true;
  }

  // Keyboard: only when the item itself has focus, not a control inside it.
  list.addEventListener("keydown", function (event) {
    var item = event.target;
    if (!item.classList || !item.classList.contains("rank-item") || event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    var index = items().indexOf(item);
    var to;
    switch (event.key) {
      case "ArrowUp":
        to = index - 1;
        break;
      case "ArrowDown":
        to = index + 1;
        break;
      case "Home":
        to = 0;
        break;
      case "End":
        to = items().length - 1;
        break;
      default:
        return;
    }
    event.preventDefault();
    moveTo(item, to);
    item.focus(); // moving a node in the DOM drops its focus
  });

  // Move up / Move down: the same buttons submit to the server without the script.
  list.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-move]");
    if (!button || !list.contains(button)) return;
    event.preventDefault();
    var item = button.closest(".rank-item");
    var index = items().indexOf(item);
    moveTo(item, button.getAttribute("data-move") === "up" ? index - 1 : index + 1);
    button.focus();
  });

  // A select still works: choosing a number moves the item there.
  list.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("select[name^='rank_']")) return;
    var item = select.closest(".rank-item");
    var wanted = parseInt(select.value, 10);
    if (wanted >= 1) moveTo(item, wanted - 1);
    refresh(); // "—" is not a place in the list: put the number back
    select.focus();
  });

  // Drag and drop with pointer events (mouse, pen, touch on the handle).
  var drag = null;

  list.addEventListener("pointerdown", function (event) {
    if (event.button !== 0 || drag) return;
    var item = event.target.closest(".rank-item");
    if (!item || !list.contains(item)) return;
    if (event.target.closest("input, textarea, select, button, a, label")) return;
    // On a touch screen only the handle drags, so that a swipe over the list still scrolls the page.
    if (event.pointerType === "touch" && !event.target.closest(".drag-handle")) return;
    drag = { item: item, pointerId: event.pointerId, startY: event.clientY, from: items().indexOf(item), active: false };
    try {
      list.setPointerCapture(event.pointerId);
    } catch (error) {
      /* an old browser: the moves still reach the list while over it */
    }
  });

  list.addEventListener("pointermove", function (event) {
    if (!drag || event.pointerId !== drag.pointerId) return;
    if (!drag.active) {
      if (Math.abs(event.clientY - drag.startY) < DRAG_THRESHOLD) return;
      drag.active = true;
      drag.item.classList.add("is-dragging");
    }
    event.preventDefault();
    var all = items();
    var first = all[0].getBoundingClientRect();
    var last = all[all.length - 1].getBoundingClientRect();
    var y = event.clientY;
    var current = all.indexOf(drag.item);
    var to = current;
    if (y < first.top) {
      to = 0;
    } else if (y >= last.bottom) {
      to = all.length - 1;
    } else {
      // The item under the pointer gives up its place: the dragged one goes before it when coming
      // from below, after it when coming from above.
      for (var i = 0; i < all.length; i++) {
        var rect = all[i].getBoundingClientRect();
        if (all[i] !== drag.item && y >= rect.top && y < rect.bottom) {
          to = i;
          break;
        }
      }
    }
    if (to !== current) {
      list.insertBefore(drag.item, to > current ? all[to].nextSibling : all[to]);
      refresh();
    }
  });

  function endDrag(event, cancelled) {
    if (!drag || (event && event.pointerId !== drag.pointerId)) return;
    var state = drag;
    drag = null;
    try {
      list.releasePointerCapture(state.pointerId);
    } catch (error) {
      /* already released */
    }
    if (!state.active) return;
    state.item.classList.remove("is-dragging");
    if (cancelled) {
      var all = items().filter(function (el) {
        return el !== state.item;
      });
      list.insertBefore(state.item, all[state.from] || null);
      refresh();
      announce("Move cancelled. " + labelOf(state.item) + " is back at " + describe(state.item));
    } else if (items().indexOf(state.item) !== state.from) {
      flash(state.item);
      announce(labelOf(state.item) + " moved to " + describe(state.item));
    }
    state.item.focus({ preventScroll: true });
  }

  list.addEventListener("pointerup", function (event) {
    endDrag(event, false);
  });
  list.addEventListener("pointercancel", function (event) {
    endDrag(event, true);
  });
  document.addEventListener("keydown", function (event) {
    if (drag && drag.active && event.key === "Escape") endDrag(null, true);
  });

  // Rationale counters.
  function count(textarea) {
    var counter = document.getElementById(textarea.getAttribute("data-counter"));
    if (!counter) return;
    var max = parseInt(textarea.getAttribute("maxlength"), 10) || 280;
    var used = textarea.value.length;
    counter.textContent = used + " of " + max + " characters";
    counter.classList.toggle("is-near", used >= max - 20);
  }
  Array.prototype.forEach.call(list.querySelectorAll("textarea[data-counter]"), function (textarea) {
    count(textarea);
    textarea.addEventListener("input", function () {
      count(textarea);
    });
  });

  // Show the enhanced controls and their instructions; from now on the list order is the ranking.
  if (form) form.classList.add("is-enhanced");
  Array.prototype.forEach.call(document.querySelectorAll("[data-js-only], [data-js-help]"), function (el) {
    el.hidden = false;
  });
  Array.prototype.forEach.call(document.querySelectorAll("[data-nojs-help]"), function (el) {
    el.hidden = true;
  });
  refresh();
})();
