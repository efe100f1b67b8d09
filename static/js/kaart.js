// The live kaart in the browser: connection state, nothing lost, and a fallback to plain HTTP.
//
// htmx's websocket extension sends the forms (ws-send) and swaps in the fragments the server
// pushes. This file adds what a shared card needs around that (see docs/protocol.md):
// - the connection state on the page (connected / reconnecting / offline / over HTTP);
// - an item someone is editing is not swapped away under the cursor: its region is swapped
//   once the form is clean again (sent, or emptied);
// - a heartbeat with the last sequence number seen, so a missed change fetches the whole card;
// - where websockets are blocked, forms go over HTTP and the card is polled every 2 seconds;
// - a warning before leaving the page with input that was not sent.
(function () {
  "use strict";

  var root, statusEl, statusLabel, unsentEl;
  var state = "connecting";
  var everOpen = false;
  var failures = 0;
  var httpMode = false;
  var pollTimer = null;
  var pingTimer = null;
  var pongTimer = null;
  var socket = null; // htmx's socket wrapper (public interface)
  var pending = {}; // region id -> outerHTML held back while its form is in use
  var POLL_MS = 2000;
  var PING_MS = 15000;

  function seq() {
    var el = document.getElementById("kaart-seq");
    return el ? parseInt(el.getAttribute("data-seq"), 10) || 0 : 0;
  }

  function setState(next) {
    state = next;
    if (!statusEl) return;
    statusEl.setAttribute("data-state", next);
    statusLabel.textContent = statusLabel.getAttribute("data-" + next) || next;
    updateUnsent();
  }

  // Dirty forms: the user's own input that is not sent yet ---------------------------------

  function isDirty(form) {
    var fields = form.elements;
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      // Only what a person types or chooses counts; buttons (also Cancel) and hidden fields not.
      if (f.tagName === "BUTTON" || f.tagName === "FIELDSET" || f.tagName === "OUTPUT") continue;
      if (f.type === "hidden" || f.type === "submit" || f.type === "button" || f.type === "reset") {
        continue;
      }
      if (f.type === "checkbox" || f.type === "radio") {
        if (f.checked !== f.defaultChecked) return true;
      } else if (f.tagName === "SELECT") {
        if (selectChanged(f)) return true;
      } else if (f.value !== f.defaultValue) {
        return true;
      }
    }
    return false;
  }

  // What form.reset() would select: the options marked `selected`, or else (a single-choice
  // select) the first option that is not disabled.
  function selectChanged(select) {
    var options = select.options;
    var marked = false;
    for (var j = 0; j < options.length; j++) if (options[j].defaultSelected) marked = true;
    var first = !marked && !select.multiple;
    for (var k = 0; k < options.length; k++) {
      var byDefault = options[k].defaultSelected;
      if (first && !options[k].disabled) {
        byDefault = true;
        first = false;
      }
      if (options[k].selected !== byDefault) return true;
    }
    return false;
  }

  function busy(el) {
    if (!el || !el.querySelectorAll) return false;
    var forms = el.tagName === "FORM" ? [el] : el.querySelectorAll("form");
    for (var i = 0; i < forms.length; i++) if (isDirty(forms[i])) return true;
    // An edit form someone has opened and is in, even before typing, stays too.
    var active = document.activeElement;
    var open = active && el.contains(active) && active.closest("details.edit[open]");
    return Boolean(open);
  }

  function queued() {
    return socket && socket.queue ? socket.queue.length : 0;
  }

  // What the person changed that the server has not confirmed, while the page is not
  // connected: in htmx's queue, or sent into a socket that went dead without closing (the
  // browser still thinks it open) and not answered. Connected, the answer is on its way.
  function unsent() {
    if (state === "connected" || state === "http") return queued();
    return Math.max(queued(), Object.keys(inflight).length);
  }

  function updateUnsent() {
    if (!unsentEl) return;
    var n = unsent();
    unsentEl.hidden = n === 0;
    unsentEl.querySelector(".count").textContent = String(n);
  }

  // Swapping without losing what someone is typing -------------------------------------------

  function applyPending() {
    Object.keys(pending).forEach(function (id) {
      var target = document.getElementById(id);
      if (!target) {
        delete pending[id];
        return;
      }
      if (busy(target)) return;
      var html = pending[id];
      delete pending[id];
      var focus = rememberFocus(target);
      var open = rememberOpen(target);
      htmx.swap(target, html, { swapStyle: "outerHTML" });
      if (expanded[id]) setExpanded(document.getElementById(id), true);
      reopen(open);
      restoreFocus(focus);
    });
    markEditing();
    announceStep();
    followStep(shownStep);
    applySwitcher();
    drawLinks();
    focusAfterDelete();
  }

  // Keeping the keyboard focus where it was when the region around it is swapped ------------
  //
  // A swapped region is new HTML: the element that had the focus is gone, and the browser
  // would drop the focus to the top of the page. Find its counterpart in the new HTML by id,
  // or (a summary or a button without one) by the form it opens or belongs to.

  // (A form's id is read with getAttribute: `form.id` is its field named "id", if it has one.)
  function focusKey(el) {
    if (!el || el === document.body) return null;
    if (el.id && el.tagName !== "FORM") return { id: el.id };
    if (el.tagName === "SUMMARY") {
      if (el.parentElement && el.parentElement.id) return { summaryIn: el.parentElement.id };
      var opened = el.parentElement && el.parentElement.querySelector("form[id]");
      return opened ? { summaryOf: opened.getAttribute("id") } : null;
    }
    var form = el.closest && el.closest("form[id]");
    if (form) {
      var index = Array.prototype.indexOf.call(form.elements, el);
      return index >= 0 ? { form: form.getAttribute("id"), index: index } : null;
    }
    return null;
  }

  function byKey(key) {
    if (!key) return null;
    if (key.id) return document.getElementById(key.id);
    if (key.summaryIn) {
      var holder = document.getElementById(key.summaryIn);
      return holder ? holder.querySelector("summary") : null;
    }
    var form = document.getElementById(key.summaryOf || key.form);
    if (!form) return null;
    if (key.summaryOf) {
      var details = form.closest("details");
      return details ? details.querySelector("summary") : null;
    }
    return form.elements[key.index] || null;
  }

  function rememberFocus(target) {
    var active = document.activeElement;
    return active && target.contains(active) ? focusKey(active) : null;
  }

  // The forms someone has opened in a region (to add or edit something) stay open when the
  // region is swapped: a change by someone else must not close them under the cursor.
  function rememberOpen(target) {
    var ids = [];
    target.querySelectorAll("details[open]").forEach(function (details) {
      var form = details.querySelector(":scope > form[id]");
      if (details.id) ids.push(details.id);
      else if (form) ids.push(form.getAttribute("id"));
    });
    return ids;
  }

  var carried = {}; // region id -> { open, focus } across an out-of-band swap

  // Opens these again; returns the ids not (yet) on the page.
  function reopen(ids) {
    return ids.filter(function (id) {
      var el = document.getElementById(id);
      var details = el && el.tagName === "DETAILS" ? el : el && el.parentElement;
      if (!details || details.tagName !== "DETAILS") return true;
      prepare(details);
      details.open = true;
      return false;
    });
  }

  // A long list comes as its region with the list empty, then its items in pieces: what was
  // open or focused in an item that is still to come is brought back when it arrives.
  var awaiting = { open: [], focus: null };

  // Forms made when they are opened ------------------------------------------------------------
  //
  // An item on the kaart carries its text and its data, not its forms: the page holds one
  // <template> per kind (tpl-bijdrage, tpl-vervolgstap) and fills a copy in when someone opens
  // an item's "Edit". That keeps a kaart of hundreds of items small enough to send and swap
  // live. The form is the same as a server-rendered one: same ids, same fields, ws-send.

  function truncate(text, n) {
    text = text.replace(/\s+/g, " ").trim();
    return text.length > n ? text.slice(0, n - 1) + "…" : text;
  }

  function setDefault(field, value) {
    if (field.tagName === "SELECT") {
      Array.prototype.forEach.call(field.options, function (option) {
        option.defaultSelected = option.value === value;
      });
      field.value = value;
    } else {
      field.defaultValue = value;
      field.value = value;
    }
  }

  function fillItemForm(box, item, name) {
    box.querySelectorAll("[data-fill]").forEach(function (field) {
      var what = field.getAttribute("data-fill");
      if (what === "name") field.textContent = truncate(name, 60);
      else if (what === "version") field.setAttribute("value", item.getAttribute("data-version"));
      else if (what === "tekst") setDefault(field, item.querySelector(".tekst").textContent);
      else if (what === "title") setDefault(field, name);
      else if (what === "eigenaar") setDefault(field, item.getAttribute("data-eigenaar") || "");
      else if (what === "datum") setDefault(field, item.getAttribute("data-datum") || "");
      else if (what === "partijen") {
        var chosen = (item.getAttribute("data-partijen") || "").split(" ");
        field.querySelectorAll("input[type=checkbox]").forEach(function (box) {
          box.defaultChecked = box.checked = chosen.indexOf(box.value) >= 0;
        });
      }
    });
    ["gewicht", "breng_soort", "toezegging"].forEach(function (field) {
      var select = box.querySelector("select[name=" + field + "]");
      var value = item.getAttribute("data-" + field.replace("_", "-"));
      if (select && value) setDefault(select, value);
    });
    if (!item.classList.contains("breng")) {
      box.querySelectorAll(".breng-only").forEach(function (el) {
        el.remove();
      });
    }
    // Move up or down only where there is a neighbour to move past.
    var up = box.querySelector("[data-move=up]");
    var down = box.querySelector("[data-move=down]");
    if (up && !(item.previousElementSibling && item.previousElementSibling.id)) up.remove();
    if (down && !(item.nextElementSibling && item.nextElementSibling.id)) down.remove();
  }

  function prepare(details) {
    if (details.hasAttribute("data-template")) {
      if (details.querySelector("form")) return;
      var template = document.getElementById(details.getAttribute("data-template"));
      var item = details.closest("li[id]");
      if (!template || !item) return;
      var pk = item.id.slice(item.id.lastIndexOf("-") + 1);
      var box = document.createElement("div");
      box.className = "item-forms";
      box.innerHTML = template.innerHTML.split("__ID__").join(pk);
      var name = (item.querySelector(".tekst") || item.querySelector(".title")).textContent;
      fillItemForm(box, item, name);
      details.appendChild(box);
      htmx.process(box);
    } else if (details.id === "add-koppeling" && !details.open) {
      fillKoppelingOptions(details);
    }
  }

  // The choice of haal and breng for a new koppeling: what this person sees on the kaart now.
  function fillKoppelingOptions(details) {
    details.querySelectorAll("select[data-options]").forEach(function (select) {
      var soort = select.getAttribute("data-options");
      while (select.options.length > 1) select.remove(1);
      document.querySelectorAll("#kaart-partijen li.bijdrage." + soort).forEach(function (li) {
        var block = li.closest(".partij-block");
        var name = block && block.querySelector(".partij-name");
        var partij = name ? name.textContent.trim() : "";
        var option = document.createElement("option");
        option.value = li.id.slice(li.id.lastIndexOf("-") + 1);
        option.textContent = partij + ": " + truncate(li.querySelector(".tekst").textContent, 80);
        select.appendChild(option);
      });
    });
    // Nothing to link yet: say what is needed first.
    var none = Array.prototype.some.call(details.querySelectorAll("select[data-options]"), function (select) {
      return select.options.length < 2;
    });
    var note = details.querySelector("[data-none]");
    if (note) note.hidden = !none;
    var button = details.querySelector("button[type=submit]");
    if (button) button.disabled = none;
  }

  // Clicking (or Enter/Space on) a summary fills its form in before the details opens, so the
  // keyboard can go on into it at once.
  document.addEventListener(
    "click",
    function (evt) {
      var summary = evt.target.closest && evt.target.closest("summary");
      if (summary && summary.parentElement.tagName === "DETAILS") prepare(summary.parentElement);
    },
    true
  );
  document.addEventListener(
    "toggle",
    function (evt) {
      if (evt.target.tagName === "DETAILS" && evt.target.open) prepare(evt.target);
    },
    true
  );

  // Returns false when the element is not (yet) on the page.
  function restoreFocus(key) {
    if (!key) return true;
    var again = byKey(key);
    if (!again) return false;
    // Only if nobody moved the focus meanwhile (it dropped to the page when its element went).
    var active = document.activeElement;
    if (again !== active && (!active || active === document.body)) {
      again.focus({ preventScroll: true });
    }
    return true;
  }

  // A form that closes (sent, or cancelled) gives the focus back to the control that opened
  // it, instead of letting it fall to the top of the page.
  function closeDetails(details) {
    var hadFocus = details.contains(document.activeElement);
    details.open = false;
    if (hadFocus) {
      var summary = details.querySelector("summary");
      if (summary) summary.focus({ preventScroll: true });
    }
  }

  // The facilitator moved the sessie to another step: say so politely, without moving focus.
  var shownStep = null;
  function announceStep() {
    // data-stap, not the class: htmx settles the class a moment after the swap.
    var section = document.getElementById("kaart-stap");
    var stap = section && section.getAttribute("data-stap");
    if (!stap) return;
    if (stap === shownStep) return;
    arrangeFlow(stap);
    if (shownStep !== null) expanded = {};
    followStep(stap);
    if (shownStep !== null) {
      // What the new step asks first: the person's own perspectief in step 1, if unwritten.
      document.querySelectorAll('details[data-open-in="' + stap + '"]').forEach(function (d) {
        d.open = true;
      });
      var live = document.getElementById("kaart-live");
      var heading = section.querySelector("h2");
      if (live && heading) {
        var line = document.createElement("p");
        line.textContent = heading.textContent.replace(/\s+/g, " ").trim();
        live.replaceChildren(line);
      }
    }
    shownStep = stap;
  }

  // The step leads -----------------------------------------------------------------------------
  //
  // The regions stand in the order the current step puts them (sessions/selectors.py FLOWS);
  // when the facilitator moves the sessie on, the page puts them in the new order. A region of
  // another step comes condensed; who opens one keeps it open while pushes replace it.

  var expanded = {}; // region id -> true while its person keeps it open

  function arrangeFlow(stap) {
    var flow = document.getElementById("kaart-flow");
    var order = flow && flow.getAttribute("data-flow-" + stap);
    if (!order) return;
    var ids = order.split(" ");
    var now = Array.prototype.map.call(flow.children, function (el) {
      return el.id;
    });
    if (now.join(" ") === ids.join(" ")) return;
    var regions = ids
      .map(function (id) {
        return document.getElementById(id);
      })
      .filter(function (el) {
        return el && el.parentElement === flow;
      });
    // The region someone is typing in stays where it is (moving it would drop their focus):
    // the others are put before and after it.
    var active = document.activeElement;
    var at = regions.findIndex(function (el) {
      return el.contains(active);
    });
    if (at < 0) {
      regions.forEach(function (el) {
        flow.appendChild(el);
      });
      return;
    }
    regions.slice(0, at).forEach(function (el) {
      flow.insertBefore(el, regions[at]);
    });
    regions.slice(at + 1).forEach(function (el) {
      flow.appendChild(el);
    });
  }

  // The rest of the kaart follows the step region: an element marked data-step is the task of
  // that step (is-current; a region of another step is condensed, its body one click away),
  // and a summary marked data-menu-unless is a quiet menu button (⋯) in the other steps. The
  // server renders them for the step it knows; a step change pushes the step region alone, so
  // the page sets them here (after htmx has settled a swap's classes).
  function followStep(stap) {
    if (!stap) return;
    document.querySelectorAll("#kaart [data-step]").forEach(function (el) {
      var current = el.getAttribute("data-step") === stap;
      el.classList.toggle("is-current", current);
      if (!el.classList.contains("kaart-region")) return;
      el.classList.toggle("is-condensed", !current);
      var toggle = el.querySelector(".region-toggle");
      if (toggle) toggle.hidden = current;
      var body = document.getElementById(el.id + "-body");
      if (!body) return;
      var open = current || !!expanded[el.id];
      // Only where it differs: this runs after every message.
      if (body.hidden !== open) return;
      if (current) body.hidden = false;
      else setExpanded(el, open);
    });
    document.querySelectorAll("#kaart [data-menu-unless]").forEach(function (summary) {
      summary.classList.toggle("item-menu", summary.getAttribute("data-menu-unless") !== stap);
    });
  }

  document.addEventListener("htmx:wsAfterMessage", function () {
    followStep(shownStep);
    tellPictures();
  });

  // The pictures (balance and map) are drawn only where the page shows them: it tells its
  // socket whether it does when the socket opens and whenever the balance region opens or
  // closes (condensed in steps 1 and 2), and gets them at once when it opens. A print shows
  // the region too: while it is hidden, the page fetches it before the print is laid out.
  var picturesTold = null; // what this socket was told; a new socket assumes they are shown
  function tellPictures() {
    var body = document.getElementById("kaart-inzicht-body");
    if (!body || !socket || httpMode || state !== "connected") return;
    var shown = !body.hidden;
    if (shown === picturesTold) return;
    picturesTold = shown;
    socket.send(JSON.stringify({ action: "pictures", shown: shown }));
  }

  window.addEventListener("beforeprint", function () {
    if (picturesTold !== false) return;
    var kaart = document.getElementById("kaart");
    var body = document.getElementById("kaart-inzicht-body");
    var url = kaart && kaart.getAttribute("data-pictures-url");
    if (!url || !body) return;
    var request = new XMLHttpRequest();
    request.open("GET", url, false); // synchronous: the print is laid out when this returns
    try {
      request.send();
    } catch (e) {
      return; // offline: the print shows the pictures the page has
    }
    if (request.status !== 200) return;
    var box = document.createElement("template");
    box.innerHTML = request.responseText;
    var fresh = box.content.getElementById("kaart-inzicht-body");
    if (fresh) body.replaceChildren.apply(body, Array.prototype.slice.call(fresh.childNodes));
  });

  function setExpanded(section, open) {
    var toggle = section.querySelector(".region-toggle");
    var body = document.getElementById(section.id + "-body");
    if (!toggle || !body) return;
    body.hidden = !open;
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    toggle.firstChild.textContent = toggle.getAttribute(open ? "data-hide" : "data-show");
    if (open) expanded[section.id] = true;
    else delete expanded[section.id];
  }

  document.addEventListener("click", function (evt) {
    var toggle = evt.target.closest && evt.target.closest(".region-toggle");
    if (!toggle) return;
    var section = toggle.closest("section[id]");
    setExpanded(section, toggle.getAttribute("aria-expanded") !== "true");
    tellPictures();
  });

  // On a phone one partij is shown at a time: the person's own first, another by its button.

  var shownPartij = null;

  function applySwitcher() {
    var buttons = document.querySelectorAll("#kaart-partijen .switch-button");
    if (!buttons.length) return;
    var ids = Array.prototype.map.call(buttons, function (b) {
      return b.getAttribute("data-show");
    });
    if (ids.indexOf(shownPartij) < 0) shownPartij = ids[0];
    buttons.forEach(function (button) {
      var on = button.getAttribute("data-show") === shownPartij;
      button.setAttribute("aria-pressed", on ? "true" : "false");
    });
    document.querySelectorAll("#kaart-partijen .partij-block").forEach(function (block) {
      block.classList.toggle("is-shown", block.id === shownPartij);
    });
  }

  document.addEventListener("click", function (evt) {
    var button = evt.target.closest && evt.target.closest(".switch-button");
    if (!button) return;
    shownPartij = button.getAttribute("data-show");
    applySwitcher();
  });

  // Koppelingen on the board: each haal shows which partij answers it, each breng which partij
  // needs it, as a link to the other item (drawn from the koppelingen list, after every swap).

  function drawLinks() {
    if (!root) return;
    var links = {}; // bijdrage id -> [{to: item id, label, partij}]
    document.querySelectorAll("#kaart-koppelingen li.koppeling").forEach(function (li) {
      var haal = "bijdrage-" + li.getAttribute("data-haal");
      var breng = "bijdrage-" + li.getAttribute("data-breng");
      (links[haal] = links[haal] || []).push({
        to: breng, arrow: "←", label: root.getAttribute("data-answered-by"),
        partij: li.getAttribute("data-breng-partij"),
      });
      (links[breng] = links[breng] || []).push({
        to: haal, arrow: "→", label: root.getAttribute("data-needed-by"),
        partij: li.getAttribute("data-haal-partij"),
      });
    });
    document.querySelectorAll("#kaart-partijen li.bijdrage").forEach(function (item) {
      var foot = item.querySelector(":scope > .bijdrage-foot") || item;
      var old = foot.querySelector(":scope > .link-chips");
      var mine = links[item.id];
      var key = mine ? JSON.stringify(mine) : "";
      if (old && old.getAttribute("data-key") === key) return;
      if (old) old.remove();
      if (!mine) return;
      var box = document.createElement("span");
      box.className = "link-chips";
      box.setAttribute("data-key", key);
      mine.forEach(function (link) {
        var a = document.createElement("a");
        a.className = "link-chip";
        a.href = "#" + link.to;
        var arrow = document.createElement("span");
        arrow.setAttribute("aria-hidden", "true");
        arrow.textContent = link.arrow + " ";
        var said = document.createElement("span");
        said.className = "visually-hidden";
        said.textContent = link.label + " ";
        a.append(arrow, said, document.createTextNode(link.partij));
        box.appendChild(a);
      });
      foot.appendChild(box);
    });
  }

  // Following a koppeling to an item of a partij the phone does not show: show that partij.
  document.addEventListener("click", function (evt) {
    var chip = evt.target.closest && evt.target.closest(".link-chip");
    var target = chip && document.getElementById(chip.getAttribute("href").slice(1));
    var block = target && target.closest(".partij-block");
    if (!block) return;
    shownPartij = block.id;
    applySwitcher();
    // Scrolled to here and now: the link's own jump may come before the partij shows.
    evt.preventDefault();
    target.scrollIntoView({ block: "center" });
    target.classList.add("is-target");
    setTimeout(function () {
      target.classList.remove("is-target");
    }, 2000);
  });

  // Deleting an item with the keyboard: the focus goes to its neighbour in the list (or the
  // list's add control), not to the top of the page when the item goes.

  var deleting = null; // { item: id, then: [focus keys to try] }

  document.addEventListener(
    "submit",
    function (evt) {
      var form = evt.target;
      var id = form.getAttribute && form.getAttribute("id");
      var item = id && /-delete$/.test(id) && form.closest("li[id]");
      if (!item) return;
      var then = [];
      [item.nextElementSibling, item.previousElementSibling].forEach(function (li) {
        if (li && li.id) then.push({ summaryIn: "edit-" + li.id });
      });
      var list = item.parentElement && item.parentElement.parentElement;
      var add = list && list.querySelector("details.add > form[id]");
      if (add) then.push({ summaryOf: add.getAttribute("id") });
      deleting = { item: item.id, then: then };
    },
    true
  );

  function focusAfterDelete() {
    if (!deleting || document.getElementById(deleting.item)) return;
    var active = document.activeElement;
    if (active && active !== document.body) {
      deleting = null;
      return;
    }
    for (var i = 0; i < deleting.then.length; i++) {
      var next = byKey(deleting.then[i]);
      if (next) {
        next.focus({ preventScroll: true });
        break;
      }
    }
    deleting = null;
  }

  // A region held back (someone is typing in it) is swapped in later as a whole: what arrives
  // for an element inside it meanwhile goes into that held-back HTML too ("append" to it,
  // "replace" it, "delete" it), or it would be lost when the region comes in.
  function patchPending(target, fragment, how) {
    Object.keys(pending).forEach(function (id) {
      var holder = document.getElementById(id);
      if (!holder || holder === target || !holder.contains(target)) return;
      var box = document.createElement("template");
      box.innerHTML = pending[id];
      var old = box.content.getElementById(target.id);
      if (!old) return;
      if (how === "delete") {
        old.remove();
      } else {
        var copy = fragment.cloneNode(true);
        copy.querySelectorAll("[hx-swap-oob]").forEach(function (el) {
          el.removeAttribute("hx-swap-oob");
        });
        if (how === "append") old.append(copy);
        else old.replaceWith(copy);
      }
      pending[id] = box.innerHTML;
    });
  }

  document.addEventListener("htmx:oobBeforeSwap", function (evt) {
    var target = evt.detail.target;
    if (!target || !target.id) return;
    var first = evt.detail.fragment.firstElementChild;
    if (!first && target.tagName === "LI") {
      // An item taken out (hx-swap-oob="delete"): not from under someone editing it.
      patchPending(target, null, "delete");
      if (busy(target)) {
        pending[target.id] = "";
        evt.detail.shouldSwap = false;
        target.classList.add("has-remote-change");
      }
      return;
    }
    if (first && first.id !== target.id && target.tagName === "LI") {
      // A bijdrage moved: it and the one it passed exchange places through a placeholder
      // (sessions/items.py). Not from under someone in one of them: the page then leaves
      // both where they are and asks for the whole card, whose regions wait until the form is
      // clean; and never a second element with an id the page has.
      var other = first.getAttribute("data-with");
      var elsewhere = document.getElementById(first.id);
      if (elsewhere && elsewhere !== target) {
        evt.detail.shouldSwap = false;
        return;
      }
      if (busy(target) || busy(other && document.getElementById(other))) {
        evt.detail.shouldSwap = false;
        requestCard();
        return;
      }
      patchPending(target, evt.detail.fragment, "replace");
      // What was focused or open in an item comes back where the item arrives.
      awaiting.focus = rememberFocus(target) || awaiting.focus;
      awaiting.open = awaiting.open.concat(rememberOpen(target));
      evt.detail.appended = true;
      return;
    }
    if (!first || first.id !== target.id) {
      // More items of a long list, appended (sessions/fragments.py FRAME_BYTES): nothing under
      // the cursor changes, so they go in now, and into a held-back region around the list.
      patchPending(target, evt.detail.fragment, "append");
      evt.detail.appended = true;
      return;
    }
    if (target.id === "kaart-seq") {
      var prev = first.getAttribute("data-prev");
      if (prev !== null && parseInt(prev, 10) !== seq()) {
        evt.detail.shouldSwap = false; // the page does not have what this change follows
        requestCard();
        return;
      }
    }
    patchPending(target, evt.detail.fragment, "replace");
    if (target.id.indexOf("kaart-") === 0 && target.id !== "kaart-stap" && !target.querySelector("form")) return;
    if (busy(target) && target.tagName !== "INPUT") {
      // Someone is typing here: hold this region back until their form is clean again.
      var fragment = evt.detail.fragment;
      var node = (fragment.firstElementChild || fragment).cloneNode(true);
      // Swapped later with htmx.swap(), which would first swap any element inside marked
      // hx-swap-oob (the partij blocks of the partijen region) on its own, taking it out of
      // the region: the region would come back empty.
      node.removeAttribute("hx-swap-oob");
      node.querySelectorAll("[hx-swap-oob]").forEach(function (el) {
        el.removeAttribute("hx-swap-oob");
      });
      pending[target.id] = node.outerHTML;
      evt.detail.shouldSwap = false;
      target.classList.add("has-remote-change");
      return;
    }
    // What the person had open and where their focus was come back once the region is in.
    carried[target.id] = { open: rememberOpen(target), focus: rememberFocus(target) };
  });

  // A refused stale edit: the item above the form shows what it holds now, as the conflict box
  // says (the item's region is held back while its form is in use, so no push showed it).
  function showCurrent(box) {
    var form = document.getElementById(box.id.replace(/-conflict$/, ""));
    var item = form && form.closest("li[id]");
    var text = item && item.querySelector(".tekst");
    if (text) text.textContent = box.getAttribute("data-text");
  }

  document.addEventListener("htmx:oobAfterSwap", function (evt) {
    var target = evt.detail.target;
    var kept = target && carried[target.id];
    if (kept) {
      delete carried[target.id];
      awaiting.open = awaiting.open.concat(reopen(kept.open));
      if (!restoreFocus(kept.focus)) awaiting.focus = kept.focus;
    }
    if (evt.detail.appended && (awaiting.open.length || awaiting.focus)) {
      awaiting.open = reopen(awaiting.open);
      if (restoreFocus(awaiting.focus)) awaiting.focus = null;
    }
    if (target && target.id === "kaart-alert") {
      answered(document.getElementById("kaart-alert").getAttribute("data-nonce"));
    }
    if (target && target.id === "kaart-ack") {
      var ack = document.getElementById("kaart-ack");
      answered(ack.getAttribute("data-nonce"));
      var formId = ack && ack.getAttribute("data-form");
      var form = formId && document.getElementById(formId);
      if (form && form.tagName === "FORM") {
        form.reset();
        var details = form.closest("details");
        if (details && (details.classList.contains("add") || details.classList.contains("edit"))) {
          closeDetails(details);
        }
      }
      applyPending();
    }
    if (target && /-conflict$/.test(target.id || "")) {
      // The swapped-in box (its class settles later; its data is there at once).
      var box = document.getElementById(target.id);
      if (box && box.hasAttribute("data-text")) showCurrent(box);
    }
    if (target && target.id === "kaart-stap") announceStep();
    if (target && expanded[target.id]) setExpanded(document.getElementById(target.id), true);
    applySwitcher();
    drawLinks();
    focusAfterDelete();
    if (target && /^(kaart-presence|partij-|bijdrage-|perspectief-|opgave-|vervolgstap-)/.test(target.id)) {
      markEditing();
    }
    if (target && target.id === "kaart-pong") {
      clearTimeout(pongTimer);
      // The pong comes after everything the socket sent before it: a higher number than the
      // page has means a push went missing (the last one, which no later push reveals).
      var sent = parseInt(document.getElementById("kaart-pong").getAttribute("data-seq"), 10);
      if (sent > seq()) requestCard();
    }
    updateUnsent();
  });

  // Every change is sent with a nonce and kept until it is answered ---------------------------
  //
  // A change is "in flight" from the moment it is sent until its answer (kaart-ack or an
  // error, both carrying the nonce) arrives. When the socket is replaced before that (the
  // network went away, the laptop slept), the answer may be lost, or the message itself: the
  // page sends every change in flight again on the new socket (or over HTTP). The server knows
  // the nonce of what it applied and does not apply it twice (docs/protocol.md).

  var inflight = {}; // nonce -> { form: form id, body: the message as sent }

  function newNonce() {
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return (b < 16 ? "0" : "") + b.toString(16);
      })
      .join("");
  }

  document.addEventListener("htmx:wsConfigSend", function (evt) {
    var detail = evt.detail;
    var nonce = newNonce();
    detail.parameters.nonce = nonce;
    var body = Object.assign({}, detail.parameters);
    if (detail.headers) body.HEADERS = detail.headers;
    detail.messageBody = JSON.stringify(body);
    var form = evt.target && evt.target.getAttribute ? evt.target.getAttribute("id") : "";
    inflight[nonce] = { form: form, body: detail.messageBody, at: Date.now() };
  });

  function answered(nonce) {
    if (nonce) delete inflight[nonce];
  }

  // On a new socket: what was sent on the old one and not answered goes again (what htmx
  // still holds in its own queue goes by itself).
  // (With `olderThan`, on a heartbeat: an answer lost while the socket stayed open.)
  function resendInFlight(olderThan) {
    var queuedBodies = (socket && socket.queue ? socket.queue : []).map(function (item) {
      return item.message;
    });
    var now = Date.now();
    Object.keys(inflight).forEach(function (nonce) {
      var body = inflight[nonce].body;
      if (queuedBodies.indexOf(body) >= 0) return;
      if (olderThan && now - inflight[nonce].at < olderThan) return;
      inflight[nonce].at = now;
      if (httpMode) {
        postValues(JSON.parse(body), document.getElementById(inflight[nonce].form));
      } else if (socket) {
        socket.send(body);
      }
    });
  }

  // The page checks that what it is pushed follows what it has: a push of change n carries
  // data-prev = n - 1. Anything else means frames went missing while the socket stayed open
  // (a network that dropped them, a tab that could not take them): ask for the whole card now.
  function requestCard() {
    if (httpMode) poll(true);
    else if (socket) socket.send(JSON.stringify({ action: "card" }));
  }

  // Who is editing what: tell the others, and show what they edit --------------------------

  var editingItem = "";
  function sendEditing(item) {
    if (item === editingItem || httpMode || !socket) return;
    editingItem = item;
    socket.send(JSON.stringify({ action: "editing", item: item }));
  }

  document.addEventListener("focusin", function (evt) {
    var form = evt.target.closest && evt.target.closest("form[data-item]");
    sendEditing(form ? form.getAttribute("data-item") : "");
  });
  document.addEventListener("focusout", function () {
    setTimeout(function () {
      var active = document.activeElement;
      var form = active && active.closest && active.closest("form[data-item]");
      if (!form) sendEditing("");
      applyPending();
    }, 50);
  });
  document.addEventListener("input", function () {
    setTimeout(applyPending, 0);
  });
  document.addEventListener("reset", function (evt) {
    // Cancel: the form goes back to what it showed, and an edit form closes.
    var details = evt.target.closest && evt.target.closest("details.edit");
    if (details) closeDetails(details);
    setTimeout(applyPending, 0);
  });

  function markEditing() {
    var presence = document.getElementById("kaart-presence");
    var ids = presence ? (presence.getAttribute("data-editing") || "").split(" ") : [];
    document.querySelectorAll(".being-edited").forEach(function (el) {
      el.classList.remove("being-edited");
    });
    ids.forEach(function (id) {
      var el = id && document.getElementById(id);
      if (el) el.classList.add("being-edited");
    });
  }

  // The websocket ------------------------------------------------------------------------------

  function ping() {
    if (!socket || state !== "connected") return;
    resendInFlight(PING_MS);
    socket.send(JSON.stringify({ action: "ping", seq: seq() }));
    clearTimeout(pongTimer);
    pongTimer = setTimeout(function () {
      // No answer: the socket is dead without knowing it. Start a new one.
      if (socket && socket.reconnect) socket.reconnect();
    }, 10000);
  }

  // htmx's reconnect() closes a socket that is still open before it opens the next one; that
  // close is ours, not a lost connection, and must not schedule yet another reconnect.
  var liveSocket = null; // the browser WebSocket that opened last
  var replaced = new WeakSet(); // sockets that were open when htmx replaced them

  document.addEventListener("htmx:wsConnecting", function () {
    if (liveSocket) replaced.add(liveSocket);
    liveSocket = null;
    if (!httpMode) setState(everOpen ? "reconnecting" : "connecting");
  });

  document.addEventListener("htmx:wsOpen", function (evt) {
    socket = evt.detail.socketWrapper;
    liveSocket = evt.detail.event ? evt.detail.event.target : null;
    if (everOpen) resendInFlight();
    everOpen = true;
    failures = 0;
    leaveHttpMode();
    setState(navigator.onLine === false ? "offline" : "connected");
    clearInterval(pingTimer);
    pingTimer = setInterval(ping, PING_MS);
    picturesTold = null;
    tellPictures();
  });

  document.addEventListener("htmx:wsClose", function (evt) {
    var closed = evt.detail.event && evt.detail.event.target;
    if (closed && replaced.has(closed)) return; // replaced by a reconnect: a new one is coming
    socket = evt.detail.socketWrapper || socket;
    var code = evt.detail.event && evt.detail.event.code;
    clearInterval(pingTimer);
    if (code >= 4000) {
      // Final: no access any more, or the server refused this socket.
      setState("offline");
      location.reload();
      return;
    }
    failures += 1;
    if (!everOpen && failures >= 2) enterHttpMode();
    else if (!httpMode) setState(navigator.onLine === false ? "offline" : "reconnecting");
    if ([1006, 1011, 1012, 1013].indexOf(code) < 0 && socket && socket.reconnect) {
      // htmx retries only after an abnormal close; a server going away (1001) must be too.
      setTimeout(socket.reconnect, 500 + Math.random() * 1500);
    }
  });

  document.addEventListener("htmx:wsError", function () {
    if (!everOpen && failures >= 1) enterHttpMode();
  });

  document.addEventListener("htmx:wsBeforeSend", function () {
    setTimeout(updateUnsent, 0);
  });

  window.addEventListener("offline", function () {
    setState("offline");
  });
  window.addEventListener("online", function () {
    if (httpMode) {
      setState("http");
      poll(true);
    } else if (socket && socket.reconnect && state !== "connected") {
      socket.reconnect();
    } else {
      setState("connected");
      ping();
    }
  });

  // Plain HTTP when websockets are blocked -----------------------------------------------------

  function enterHttpMode() {
    if (httpMode) return;
    httpMode = true;
    setState(navigator.onLine === false ? "offline" : "http");
    // Whatever was queued for the socket goes over HTTP instead.
    if (socket && socket.queue) {
      while (socket.queue.length) {
        var item = socket.queue.shift();
        try {
          postValues(JSON.parse(item.message), item.sendElt);
        } catch (e) {
          /* a message we cannot read is not ours to resend */
        }
      }
    }
    poll(true);
    clearInterval(pollTimer);
    pollTimer = setInterval(poll, POLL_MS);
  }

  function leaveHttpMode() {
    if (!httpMode) return;
    httpMode = false;
    clearInterval(pollTimer);
  }

  function poll(full) {
    if (!httpMode) return;
    // A whole card says how many changes of the sessie it shows (step, lock, timer: they are
    // not numbered with the kaart's); a push of one change does not, and then the next poll
    // brings the whole card.
    var el = document.getElementById("kaart-seq");
    var sessie = (el && el.getAttribute("data-sessie")) || "";
    var url =
      root.getAttribute("data-since-url") +
      "?seq=" + seq() +
      "&sessie=" + encodeURIComponent(sessie) +
      (full === true ? "&full=1" : "");
    htmx.ajax("GET", url, { source: root, swap: "none" }).then(
      function () {
        if (httpMode) setState("http");
      },
      function () {
        setState("offline");
      }
    );
  }

  function postValues(values, sourceElt) {
    var trigger = values.HEADERS && values.HEADERS["HX-Trigger"];
    delete values.HEADERS;
    return htmx.ajax("POST", root.getAttribute("data-action-url"), {
      source: sourceElt && sourceElt.isConnected ? sourceElt : root,
      values: values,
      swap: "none",
      headers: trigger ? { "HX-Trigger": trigger } : {},
    });
  }

  // In HTTP mode a form goes out as an htmx request instead of over the socket.
  document.addEventListener(
    "submit",
    function (evt) {
      var form = evt.target;
      if (!httpMode || !form.hasAttribute("ws-send")) return;
      evt.preventDefault();
      evt.stopImmediatePropagation();
      var nonce = newNonce();
      var values = htmx.values(form);
      values.nonce = nonce;
      var body = Object.assign({}, values, { HEADERS: { "HX-Trigger": form.getAttribute("id") } });
      inflight[nonce] = { form: form.getAttribute("id"), body: JSON.stringify(body), at: Date.now() };
      htmx.ajax("POST", root.getAttribute("data-action-url"), {
        source: form,
        swap: "none",
        values: { nonce: nonce },
        headers: { "HX-Trigger": form.getAttribute("id") },
      });
    },
    true
  );

  // htmx answers an HTTP error with no swap; our error fragments should still be shown.
  document.addEventListener("htmx:beforeSwap", function (evt) {
    if (evt.detail.xhr && evt.detail.xhr.status === 400) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });

  window.addEventListener("beforeunload", function (evt) {
    var dirty = Array.prototype.some.call(document.querySelectorAll("#kaart form"), isDirty);
    if (dirty || queued() > 0) {
      evt.preventDefault();
      evt.returnValue = "";
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    root = document.getElementById("kaart");
    if (!root) return;
    statusEl = document.getElementById("kaart-status");
    statusLabel = statusEl.querySelector(".label");
    unsentEl = document.getElementById("kaart-unsent");
    // If nothing opens within a few seconds, websockets are probably blocked here.
    setTimeout(function () {
      if (!everOpen) enterHttpMode();
    }, 5000);
    root.classList.add("switching");
    markEditing();
    announceStep();
    followStep(shownStep);
    applySwitcher();
    drawLinks();
  });
})();
