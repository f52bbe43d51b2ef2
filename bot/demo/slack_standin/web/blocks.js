// Block Kit, drawn the way Slack shows it: section, context, actions, header, divider,
// image, rich_text and (in modals) input, with the interactive elements the bot uses.
"use strict";

(() => {
const { el, wrap, emojify, link, safeUrl, special, mrkdwn, textObject, EMOJI,
        REACTION_MEANING } = window.Mrkdwn;

function image(url, alt, cls) {
  const href = safeUrl(url || "");
  const fallback = () => el("span", cls + " img-alt", alt || "image");
  if (!href) return fallback();
  const img = el("img", cls);
  img.alt = alt || "";
  img.src = href;
  img.addEventListener("error", () => img.replaceWith(fallback()));
  return img;
}

function optionsOf(element) {
  const list = [...(element.options || [])];
  for (const g of element.option_groups || []) list.push(...(g.options || []));
  return list;
}

function selectBox(element, ctx, placeholder, onPick) {
  const sel = el("select", "select");
  sel.append(new Option(placeholder || "Select…", ""));
  const addOpts = (opts, into) => opts.forEach((o) => {
    into.append(new Option(emojify(o.text.text), o.value));
  });
  if (element.option_groups) {
    for (const g of element.option_groups) {
      const og = el("optgroup");
      og.label = g.label.text;
      addOpts(g.options || [], og);
      sel.append(og);
    }
  } else addOpts(element.options || [], sel);
  const initial = element.initial_option;
  if (initial) sel.value = initial.value;
  if (onPick) sel.addEventListener("change", () => sel.value && onPick(sel.value));
  return sel;
}

// An interactive element; ctx.act(block, element, value) performs the user action.
function element(block, elem, ctx) {
  switch (elem.type) {
    case "button": {
      const b = el("button", "btn" + (elem.style ? " btn-" + elem.style : ""));
      b.append(textObject(elem.text, ctx));
      b.dataset.actionId = elem.action_id;
      b.addEventListener("click", () => ctx.act(block, elem, undefined, b));
      return b;
    }
    case "overflow": {
      const s = selectBox(elem, ctx, "⋯", (v) => ctx.act(block, elem, v));
      s.classList.add("overflow");
      s.dataset.actionId = elem.action_id;
      return s;
    }
    case "static_select": {
      const s = selectBox(elem, ctx, elem.placeholder && elem.placeholder.text,
        ctx.inView ? null : (v) => ctx.act(block, elem, v));
      s.dataset.actionId = elem.action_id;
      return s;
    }
    case "external_select": return ctx.externalSelect
      ? ctx.externalSelect(block, elem) : el("span", "unsupported", "[search]");
    case "image": return image(elem.image_url, elem.alt_text, "acc-img");
    default: return el("span", "unsupported", "[" + elem.type + "]");
  }
}

function richText(block, ctx) {
  const out = el("div", "rich");
  const run = (els, into) => (els || []).forEach((e) => {
    if (e.type === "text") {
      const s = el("span", null, emojify(e.text));
      if (e.style && e.style.bold) s.classList.add("b");
      if (e.style && e.style.italic) s.classList.add("i");
      if (e.style && e.style.code) s.classList.add("code");
      into.append(s);
    } else if (e.type === "link") into.append(link(e.url, e.text));
    else if (e.type === "user") into.append(special("@" + e.user_id, ctx));
    else if (e.type === "channel") into.append(special("#" + e.channel_id, ctx));
    else if (e.type === "broadcast") into.append(el("span", "mention", "@" + e.range));
    else if (e.type === "emoji") into.append(EMOJI[e.name] || e.unicode || ":" + e.name + ":");
  });
  for (const part of block.elements || []) {
    const tag = part.type === "rich_text_preformatted" ? "pre"
      : part.type === "rich_text_quote" ? "blockquote" : "div";
    const node = el(tag);
    if (part.type === "rich_text_list") {
      const list = el(part.style === "ordered" ? "ol" : "ul");
      for (const item of part.elements || []) {
        const li = el("li");
        run(item.elements, li);
        list.append(li);
      }
      node.append(list);
    } else run(part.elements, node);
    out.append(node);
  }
  return out;
}

function block(b, ctx) {
  const node = el("div", "block block-" + b.type);
  node.dataset.blockId = b.block_id || "";
  switch (b.type) {
    case "section": {
      const main = el("div", "section-main");
      if (b.text) main.append(wrap("section-text", textObject(b.text, ctx)));
      if (b.fields) {
        const grid = el("div", "fields");
        for (const f of b.fields) grid.append(wrap("field", textObject(f, ctx)));
        main.append(grid);
      }
      node.append(main);
      if (b.accessory) node.append(wrap("accessory", element(b, b.accessory, ctx)));
      break;
    }
    case "context":
      for (const e of b.elements || []) {
        node.append(e.type === "image" ? image(e.image_url, e.alt_text, "ctx-img")
          : textObject(e, ctx));
      }
      break;
    case "actions":
      for (const e of b.elements || []) node.append(element(b, e, ctx));
      break;
    case "header": node.append(textObject(b.text, ctx)); break;
    case "divider": node.append(el("hr")); break;
    case "image":
      if (b.title) node.append(wrap("img-title", textObject(b.title, ctx)));
      node.append(image(b.image_url, b.alt_text, "block-img"));
      break;
    case "rich_text": node.append(richText(b, ctx)); break;
    case "input": node.append(ctx.input ? ctx.input(b) : el("span", "unsupported", "[input]"));
      break;
    default: node.append(el("span", "unsupported", "[" + b.type + " block]"));
  }
  return node;
}

function blocks(list, ctx) {
  const out = el("div", "blocks");
  for (const b of list || []) out.append(block(b, ctx));
  return out;
}

window.BlockKit = { blocks, mrkdwn, textObject, element, el, emojify, image, selectBox,
                    optionsOf, EMOJI, REACTION_MEANING };
})();
