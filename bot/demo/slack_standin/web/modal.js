// The modal the bot opened for this user (top of their view stack): inputs, buttons,
// searchable selects, Submit and Cancel, each sent as the simulator's view actions.
"use strict";

(() => {
  const { blocks, el, textObject, selectBox } = window.BlockKit;
  let shown = null;      // {id, hash}
  let inputs = [];       // [{block_id, action_id, get(), set(v)}]

  function typed() {
    const out = {};
    for (const i of inputs) out[i.block_id] = i.get();
    return out;
  }

  function values() {
    const out = {};
    for (const i of inputs) {
      const v = i.get();
      if (v !== null && v !== "") out[i.block_id] = { [i.action_id]: v };
    }
    return out;
  }

  function input(view, block) {
    const wrap = el("label", "input");
    const label = el("div", "input-label");
    wrap.append(label);
    label.append(textObject(block.label, {}));
    if (block.optional) label.append(el("span", "optional", " (optional)"));
    const e = block.element || {};
    let field;
    if (e.type === "plain_text_input") {
      field = el(e.multiline ? "textarea" : "input", "text-input");
      if (e.initial_value) field.value = e.initial_value;
      if (e.max_length) field.maxLength = e.max_length;
      if (e.placeholder) field.placeholder = e.placeholder.text;
    } else if (e.type === "static_select") {
      field = selectBox(e, {}, e.placeholder && e.placeholder.text, null);
    } else {
      field = el("span", "unsupported", "[" + e.type + "]");
    }
    field.dataset.blockId = block.block_id;
    wrap.append(field);
    if (block.hint) wrap.append(el("div", "hint", block.hint.text));
    wrap.append(el("div", "input-error"));
    if ("value" in field) {
      inputs.push({ block_id: block.block_id, action_id: e.action_id,
                    get: () => field.value || null, set: (v) => { field.value = v; } });
    }
    return wrap;
  }

  function externalSelect(view, block, elem) {
    const box = el("span", "ext-select");
    const search = el("input", "ext-search");
    search.placeholder = elem.initial_option ? elem.initial_option.text.text
      : (elem.placeholder ? elem.placeholder.text : "Search…");
    search.dataset.actionId = elem.action_id;
    const results = el("select", "ext-results");
    results.hidden = true;
    let found = [];
    let timer = null;
    const lookup = () => window.App.api("options", {
      view_id: view.id, action_id: elem.action_id, value: search.value,
    }).then((a) => {
      const j = (a && a.json) || {};
      found = [...(j.options || [])];
      for (const g of j.option_groups || []) found.push(...(g.options || []));
      results.replaceChildren(new Option(found.length + " found", ""));
      found.forEach((o, i) => results.append(new Option(o.text.text, String(i))));
      results.hidden = false;
    });
    search.addEventListener("focus", lookup);
    search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(lookup, 250); });
    results.addEventListener("change", () => {
      const option = found[Number(results.value)];
      if (option) window.App.api("view_act", { view_id: view.id, action_id: elem.action_id,
                                               value: option, typed: typed() });
    });
    box.append(search, results);
    return box;
  }

  function draw(view, users) {
    const kept = shown && shown.id === view.id ? typed() : {};
    inputs = [];
    const root = document.getElementById("modal");
    const card = el("div", "modal-card");
    card.dataset.viewId = view.id;
    card.dataset.callbackId = view.callback_id || "";
    const head = el("div", "modal-title");
    head.append(textObject(view.title, {}));
    card.append(head);
    const ctx = {
      users, inView: true,
      input: (block) => input(view, block),
      externalSelect: (block, elem) => externalSelect(view, block, elem),
      act: (block, elem, value) => window.App.api("view_act", {
        view_id: view.id, action_id: elem.action_id, value, typed: typed() }),
    };
    const body = el("div", "modal-body");
    body.append(blocks(view.blocks, ctx));
    card.append(body);
    // Slack keeps what was typed into an input whose block id survives an update.
    for (const i of inputs) if (kept[i.block_id] != null) i.set(kept[i.block_id]);
    const foot = el("div", "modal-foot");
    const cancel = el("button", "btn", view.close ? view.close.text : "Cancel");
    cancel.dataset.role = "cancel";
    cancel.addEventListener("click", () => window.App.api("view_close", { view_id: view.id }));
    foot.append(cancel);
    if (view.submit) {
      const submit = el("button", "btn btn-primary", view.submit.text);
      submit.dataset.role = "submit";
      submit.addEventListener("click", () => submitView(view, card, submit));
      foot.append(submit);
    }
    card.append(foot);
    root.replaceChildren(card);
    root.hidden = false;
  }

  async function submitView(view, card, button) {
    button.disabled = true;
    const answer = await window.App.api("view_submit", { view_id: view.id, values: values() });
    button.disabled = false;
    const j = (answer && answer.json) || {};
    card.querySelectorAll(".input-error").forEach((n) => { n.textContent = ""; });
    if (j.response_action === "errors") {
      for (const [blockId, text] of Object.entries(j.errors || {})) {
        const block = card.querySelector(`[data-block-id="${CSS.escape(blockId)}"]`);
        const slot = block && block.querySelector(".input-error");
        if (slot) slot.textContent = text; else window.App.toast(text);
      }
    }
  }

  function render(view, users) {
    const root = document.getElementById("modal");
    if (!view) {
      shown = null;
      root.hidden = true;
      root.replaceChildren();
      return;
    }
    if (shown && shown.id === view.id && shown.hash === view.hash) return;
    draw(view, users);
    shown = { id: view.id, hash: view.hash };
  }

  window.Modal = { render };
})();
