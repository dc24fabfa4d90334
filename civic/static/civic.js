/* Civic enhancements. Every page works without this file. */
(function () {
  "use strict";
  // Move focus to the error summary after a failed submission.
  var summary = document.querySelector("[data-autofocus]");
  if (summary) { summary.focus(); }
  // Error summary links: focus the field, not only scroll to it.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".error-summary a[href^='#']");
    if (!link) { return; }
    var target = document.getElementById(link.getAttribute("href").slice(1));
    if (target) {
      event.preventDefault();
      var input = target.matches("fieldset") ? target.querySelector("input, select, textarea") : target;
      (input || target).focus();
      target.scrollIntoView({ block: "center" });
    }
  });
  // Confirmation for buttons that ask for it (the action still works without script).
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });
})();
/* Comments: reply and vote without reloading the page. The forms work without this: each
   posts normally and the server answers with a page. With it, the same forms are sent with
   fetch and "Accept: application/json"; the server answers with HTML fragments to put in
   place, and a status region announces what happened. */
(function () {
  "use strict";
  if (!window.fetch || !window.FormData) { return; }

  function status(from, message) {
    var region = from.closest("[data-discussion]");
    region = region && region.querySelector("[data-comments-status]");
    if (region) {
      region.textContent = "";
      window.setTimeout(function () { region.textContent = message; }, 50);
    }
  }

  function fragment(html) {
    var holder = document.createElement("div");
    holder.innerHTML = html;
    return holder.firstElementChild;
  }

  function send(form, submitter) {
    var data = new FormData(form);
    if (submitter && submitter.name) { data.append(submitter.name, submitter.value); }
    var token = form.querySelector("input[name='csrf_token']");
    return fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": token ? token.value : "" }
    }).then(function (response) {
      return response.json().then(function (json) { json.httpStatus = response.status; return json; });
    });
  }

  // Votes: replace the vote buttons with the server's, keep focus on the same button.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("[data-vote-form]")) { return; }
    event.preventDefault();
    var button = event.submitter || form.querySelector("button");
    var which = button && button.getAttribute("data-vote");
    var box = form.closest("[data-votes]");
    send(form, button).then(function (json) {
      if (json.html && box) {
        var fresh = fragment(json.html);
        box.replaceWith(fresh);
        var again = fresh.querySelector("[data-vote='" + which + "']") || fresh;
        if (again.focus) { again.focus(); }
        status(fresh, json.message);
      } else if (json.message) {
        status(form, json.message);
      }
    }).catch(function () {
      if (button && button.name) {
        var keep = document.createElement("input");
        keep.type = "hidden"; keep.name = button.name; keep.value = button.value;
        form.appendChild(keep);
      }
      form.submit();
    });
  });

  // Reply links: open a reply form under the comment (a copy of the page's template).
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-reply-to]");
    if (link) {
      var discussion = link.closest("[data-discussion]");
      var template = discussion && discussion.querySelector("template[data-reply-template]");
      if (!template) { return; }
      event.preventDefault();
      var id = link.getAttribute("data-reply-to");
      var item = document.getElementById("comment-" + id);
      var open = item.querySelector(":scope > .reply-form");
      if (!open) {
        open = fragment(template.innerHTML.replace(/__ID__/g, id));
        var label = open.querySelector("label[for$='body']");
        if (label && label.firstChild) {
          label.firstChild.textContent = label.firstChild.textContent.replace("__NAME__", link.getAttribute("data-author"));
        }
        item.querySelector(":scope > article").after(open);
      }
      open.querySelector("textarea").focus();
      return;
    }
    var cancel = event.target.closest && event.target.closest("[data-cancel-reply]");
    var wrapper = cancel && cancel.closest(".reply-form");
    if (wrapper && wrapper.parentElement.matches("[data-comment]") && !wrapper.id) {
      event.preventDefault();
      var back = wrapper.parentElement.querySelector("a[data-reply-to]");
      wrapper.remove();
      if (back) { back.focus(); }
    }
  });

  // Comments and replies: insert the new comment, or show the form again with its problems.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("[data-comment-form]")) { return; }
    if (!form.closest("[data-discussion]")) { return; }
    event.preventDefault();
    var button = form.querySelector("button[type='submit']");
    if (button) { button.disabled = true; }
    send(form).then(function (json) {
      if (button) { button.disabled = false; }
      if (!json.ok && json.html) {
        var again = fragment(json.html);
        form.replaceWith(again);
        var summary = again.querySelector("[data-autofocus]");
        if (summary) { summary.focus(); }
        return;
      }
      if (!json.ok) { status(form, json.message || ""); return; }
      var discussion = form.closest("[data-discussion]");
      var item = fragment(json.html);
      var list;
      if (json.parent_id) {
        var parent = document.getElementById("comment-" + json.parent_id);
        list = parent.querySelector(":scope > ol.replies");
        if (!list) {
          list = document.createElement("ol");
          list.className = "replies";
          parent.appendChild(list);
        }
      } else {
        list = discussion.querySelector("[data-thread]");
        if (!list) {
          list = document.createElement("ol");
          list.className = "comment-thread";
          list.setAttribute("data-thread", "");
          var empty = discussion.querySelector("[data-no-comments]");
          if (empty) { empty.replaceWith(list); } else { discussion.querySelector("[data-comments-status]").after(list); }
        }
      }
      list.appendChild(item);
      var summaryBox = discussion.querySelector("[data-discussion-summary]");
      if (summaryBox && json.summary) { summaryBox.replaceWith(fragment(json.summary)); }
      var wrapper = form.closest(".reply-form");
      if (wrapper) { wrapper.remove(); } else { form.reset(); }
      var article = item.querySelector("article");
      if (article) { article.focus(); }
      status(item, json.message);
    }).catch(function () { if (button) { button.disabled = false; } form.submit(); });
  });
})();
/* Proposals: a copy button for the share link (the read-only field works without it). */
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("[data-copy]"), function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) { return; }
    field.addEventListener("focus", function () { field.select(); });
    if (!navigator.clipboard) { return; }
    var status = button.parentNode.querySelector(".copy-status");
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        if (status) { status.textContent = button.getAttribute("data-copied"); }
      }, function () { field.focus(); });
    });
  });
})();
