"use strict";
const el = (tag, attributes = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
};

// The document's prose is Markdown: its inline code (`…`) becomes <code>, the rest plain
// text. Nodes are built, never HTML parsed, so the document cannot inject markup.
const prose = (text) => String(text || "").split(/`([^`]+)`/).map(
  (part, index) => (index % 2 ? el("code", { text: part }) : part));

function resolve(document_, schema) {
  while (schema && schema.$ref) {
    schema = schema.$ref.replace(/^#\//, "").split("/").reduce((node, key) => node[key], document_);
  }
  return schema || {};
}

function input(parameter) {
  const schema = parameter.schema || {};
  let field;
  if (schema.enum) {
    field = el("select");
    field.append(el("option", { value: "", text: schema.default ? `(default: ${schema.default})` : "(not sent)" }));
    for (const value of schema.enum) field.append(el("option", { value, text: value }));
  } else {
    field = el("input", { type: "text" });
    if (schema.pattern) field.setAttribute("pattern", schema.pattern.replace(/^\^|\$$/g, ""));
    const example = parameter.examples ? Object.values(parameter.examples)[0].value : parameter.example;
    if (example !== undefined) { field.value = example; }
  }
  field.dataset.name = parameter.name;
  field.dataset.in = parameter.in;
  field.setAttribute("aria-label", parameter.name);
  return field;
}

function describeSchema(schema) {
  if (schema.enum) return schema.enum.length > 12 ? `one of ${schema.enum.length} names` : schema.enum.join(" | ");
  if (schema.pattern) return `pattern ${schema.pattern}`;
  return schema.type || "";
}

async function send(path, form, output) {
  const query = new URLSearchParams();
  const headers = {};
  for (const field of form.querySelectorAll("[data-name]")) {
    if (field.value === "") continue;
    if (field.dataset.in === "query") query.append(field.dataset.name, field.value);
    else if (field.dataset.in === "header") headers[field.dataset.name] = field.value;
  }
  const url = path + (query.toString() ? "?" + query : "");
  output.replaceChildren(el("p", { class: "muted", text: "Sending…" }));
  const started = performance.now();
  let response;
  try {
    response = await fetch(url, { headers });
  } catch (error) {
    output.replaceChildren(el("p", { class: "status", text: `Request failed: ${error}` }));
    return;
  }
  const text = await response.text();
  const elapsed = Math.round(performance.now() - started);
  let shown = text;
  if ((response.headers.get("content-type") || "").startsWith("application/json")) {
    try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch { /* shown as is */ }
  }
  if (shown.length > 200000) shown = shown.slice(0, 200000) + `\n… (${text.length} characters in all)`;
  const headerLines = [...response.headers].map(([name, value]) => `${name}: ${value}`).join("\n");
  const curl = `curl '${new URL(url, location.href)}'` +
    Object.entries(headers).map(([name, value]) => ` -H '${name}: ${value}'`).join("");
  output.replaceChildren(
    el("p", {}, el("span", { class: "status", text: `${response.status} ${response.statusText}` }),
       el("span", { class: "muted", text: ` in ${elapsed} ms, ${text.length} characters` })),
    el("p", { class: "muted", text: "Request" }), el("pre", { class: "request", text: curl }),
    el("p", { class: "muted", text: "Response headers" }), el("pre", { text: headerLines }),
    el("p", { class: "muted", text: "Response body" }), el("pre", { class: "response", text: shown }),
  );
}

function operation(document_, path, method, spec) {
  const parameters = spec.parameters || [];
  const form = el("form");
  const rows = el("table", {}, el("tr", {}, el("th", { text: "parameter" }), el("th", { text: "value" }), el("th", { text: "what" })));
  for (const parameter of parameters) {
    const name = el("td", { class: "name", text: `${parameter.name} (${parameter.in})` });
    if (parameter.required) name.append(el("div", { class: "required", text: "required" }));
    const what = el("td", {}, ...prose(parameter.description));
    what.append(el("div", { class: "muted", text: describeSchema(parameter.schema || {}) }));
    rows.append(el("tr", {}, name, el("td", { class: "value" }, input(parameter)), what));
  }
  if (parameters.length) form.append(rows);
  const output = el("div", { class: "output" });
  form.append(el("button", { type: "submit", text: "Send" }));
  form.addEventListener("submit", (event) => { event.preventDefault(); send(path, form, output); });

  const responses = el("table", {}, el("tr", {}, el("th", { text: "status" }), el("th", { text: "meaning" })));
  for (const [status, response] of Object.entries(spec.responses || {})) {
    const cell = el("td", {}, ...prose(response.description));
    for (const [mediaType, content] of Object.entries(response.content || {})) {
      const schema = el("details", {}, el("summary", { text: mediaType }),
        el("pre", { text: JSON.stringify(resolve(document_, content.schema), null, 2) }));
      cell.append(schema);
    }
    responses.append(el("tr", {}, el("td", { class: "name", text: status }), cell));
  }
  return el("details", { class: "operation", id: spec.operationId || path },
    el("summary", {}, el("span", { class: "method", text: method.toUpperCase() }), el("code", { text: path }),
       el("span", { class: "muted", text: "  " + (spec.summary || "") })),
    el("div", { class: "body" }, el("p", {}, ...prose(spec.description)), form, output,
       el("h4", { text: "Responses" }), responses));
}

async function main() {
  const container = document.getElementById("operations");
  let document_;
  try {
    document_ = await (await fetch("/openapi.json")).json();
  } catch (error) {
    container.textContent = `Cannot read /openapi.json: ${error}`;
    return;
  }
  document.getElementById("title").textContent = `${document_.info.title} · API ${document_.info.version}`;
  document.getElementById("description").replaceChildren(...prose(document_.info.description));
  container.replaceChildren();
  for (const [path, item] of Object.entries(document_.paths)) {
    for (const [method, spec] of Object.entries(item)) container.append(operation(document_, path, method, spec));
  }
  const first = container.querySelector("details.operation#getConsumption");
  if (first) first.open = true;
}
main();
