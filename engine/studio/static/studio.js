// Muse Studio: plain JavaScript, no build step, no CDN. Everything comes from /api.
"use strict";
const $ = (sel, root = document) => root.querySelector(sel);
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child);
  return node;
};

async function api(method, url, body, raw) {
  const options = {method, headers: {"X-Muse-Studio": "1"}, credentials: "same-origin"};
  if (raw !== undefined) options.body = raw;
  else if (body !== undefined) { options.body = JSON.stringify(body); options.headers["Content-Type"] = "application/json"; }
  const response = await fetch(url, options);
  let data = {};
  try { data = await response.json(); } catch (e) { data = {error: `${response.status} ${response.statusText}`}; }
  return {ok: response.ok, status: response.status, data};
}

const state = {components: [], current: null, works: [], jobs: [], reproductions: {}, historyVersion: -1};
const KIND_TITLES = {generator: "Generators", stylizer: "Stylizers", composer: "Composers"};

// -- components and forms ---------------------------------------------------------------------
async function loadComponents() {
  const {data} = await api("GET", "/api/components");
  state.components = data.components;
  const list = $("#components");
  list.replaceChildren();
  for (const kind of ["generator", "stylizer", "composer"]) {
    const ofKind = state.components.filter(c => c.kind === kind);
    if (!ofKind.length) continue;
    list.append(el("h3", {text: KIND_TITLES[kind]}));
    for (const c of ofKind) {
      const arrow = c.inputs.length ? `${c.inputs.join(" + ")} → ${c.output}` : `→ ${c.output}`;
      list.append(el("button", {class: "component", type: "button", "data-component": `${c.kind}/${c.name}`, title: c.description,
        onclick: () => selectComponent(c)}, el("b", {text: c.name}), ` `, el("span", {class: "muted", text: arrow}),
        el("span", {class: "desc", text: c.description})));
    }
  }
  const filter = $("#filter-component");
  for (const c of state.components) filter.append(el("option", {value: c.name, text: c.name}));
  filter.append(el("option", {value: "upload", text: "uploads"}));
}

function fileChoices(kind) {
  return state.works.filter(w => !kind || w.kind === kind);
}

function workLabel(w) {
  return `${w.component === "upload" ? `upload ${w.name}` : `${w.component} seed ${w.seed}`} · ${w.describe}`;
}

function inputSlot(kind, index, chosen) {
  const select = el("select", {name: `input${index}`, "data-input": index},
    el("option", {value: "", text: `— pick ${kind} from the history —`}),
    fileChoices(kind).map(w => el("option", {value: w.id, text: workLabel(w), selected: w.id === chosen})));
  const upload = el("input", {type: "file", "data-upload-for": index});
  const error = el("div", {class: "error", "data-error": `input${index}`});
  upload.addEventListener("change", async () => {
    const record = await uploadFile(upload.files[0], error);
    if (record) { await refreshHistory(); select.value = record.id; }
  });
  return el("div", {class: "inputslot"}, el("b", {text: `input ${index + 1}: ${kind}`}),
    el("div", {class: "row"}, select, el("label", {class: "upload"}, "or upload", upload)), error);
}

function fieldFor(p, value, prefix = "param") {
  const id = `${prefix}-${p.name}`;
  const given = value !== undefined ? value : (p.default === null ? "" : p.default);
  let control;
  if (p.widget === "select") {
    control = el("select", {id, name: p.name},
      p.optional ? el("option", {value: "", text: "(default)"}) : null,
      p.choices.map(c => el("option", {value: String(c), text: String(c), selected: String(c) === String(given)})));
  } else if (p.widget === "toggle") {
    control = el("label", {class: "toggle"}, el("input", {id, name: p.name, type: "checkbox", checked: given === true || given === "true"}), "on");
  } else if (p.widget === "slider") {
    const start = given === "" ? (p.min) : given;
    const range = el("input", {type: "range", min: p.min, max: p.max, step: p.step, value: start, "aria-label": `${p.name} slider`});
    const number = el("input", {id, name: p.name, class: "number", inputmode: "decimal", value: given});
    range.addEventListener("input", () => { number.value = range.value; changed(); });
    number.addEventListener("input", () => { if (number.value !== "" && !isNaN(Number(number.value))) range.value = number.value; });
    control = el("div", {class: "row"}, range, number);
  } else if (p.widget === "number") {
    control = el("input", {id, name: p.name, class: "number", inputmode: "decimal", value: given});
  } else if (p.widget === "file") {
    const select = el("select", {id, name: p.name},
      el("option", {value: "", text: p.optional ? "(none)" : "— pick a file —"}),
      fileChoices().map(w => {
        const path = `works/${w.id}/${w.files.main}`;
        return el("option", {value: path, text: workLabel(w), selected: path === given});
      }));
    const upload = el("input", {type: "file"});
    upload.addEventListener("change", async () => {
      const record = await uploadFile(upload.files[0], $(`[data-error="${p.name}"]`));
      if (record) {
        const path = `works/${record.id}/${record.files.main}`;
        select.append(el("option", {value: path, text: workLabel(record)}));
        select.value = path; changed();
      }
    });
    control = el("div", {class: "row"}, select, el("label", {class: "upload"}, "upload", upload));
  } else if (p.widget === "textarea") {
    control = el("textarea", {id, name: p.name, text: String(given)});
  } else {
    control = el("input", {id, name: p.name, type: "text", value: given, placeholder: p.optional ? "(default)" : null});
  }
  const range = p.range ? ` (${p.range})` : "";
  return el("div", {class: "field", "data-field": p.name},
    el("label", {for: id, text: p.name}), control,
    el("div", {class: "help", text: `${p.help}${range}`}),
    el("div", {class: "error", [prefix === "param" ? "data-error" : "data-train-error"]: p.name}));
}

function selectComponent(c, preset = {}) {
  state.current = c;
  document.querySelectorAll(".component").forEach(b => b.classList.toggle("active", b.dataset.component === `${c.kind}/${c.name}`));
  $("#form-empty").hidden = true;
  const form = $("#form");
  form.hidden = false;
  form.dataset.component = `${c.kind}/${c.name}`;
  $("#form-title").textContent = `${c.name}`;
  $("#form-description").textContent = `${c.kind}: ${c.description}`;
  const inputs = $("#form-inputs");
  inputs.replaceChildren(...c.inputs.map((kind, i) => inputSlot(kind, i, (preset.inputs || [])[i])));
  const params = preset.params || {};
  $("#form-fields").replaceChildren(...c.params.map(p => fieldFor(p, params[p.name])));
  $("#seed").value = preset.seed !== undefined && preset.seed !== null ? preset.seed : "";
  $("#field-n").hidden = !c.batch;
  $("#count").value = 1;
  showErrors({});
  setUpTraining(c);
  const model = $("#param-model");
  if (model && model.tagName === "INPUT") {  // models trained here are model= choices
    api("GET", `/api/models?component=${encodeURIComponent(c.name)}`).then(({data}) => {
      const list = el("datalist", {id: "models-list"}, (data.models || []).map(m => el("option", {value: m})));
      $("#models-list")?.remove();
      document.body.append(list);
      model.setAttribute("list", "models-list");
    });
  }
  form.scrollIntoView({block: "nearest"});
}

function collect() {
  const c = state.current;
  const params = {};
  for (const p of c.params) {
    const control = $(`#param-${CSS.escape(p.name)}`);
    if (!control) continue;
    if (control.type === "checkbox") {
      if (control.checked !== (p.default === true)) params[p.name] = control.checked;
    } else if (control.value !== "" && control.value !== String(p.default)) params[p.name] = control.value;  // only what differs
  }
  const inputs = [...document.querySelectorAll("[data-input]")].map(s => s.value);
  return {kind: c.kind, name: c.name, params, seed: $("#seed").value.trim(), n: c.batch ? $("#count").value : undefined, inputs};
}

function showErrors(errors) {
  document.querySelectorAll("#form [data-error]").forEach(node => {
    node.textContent = errors[node.dataset.error] || "";
    const field = node.closest(".field");
    if (field) field.classList.toggle("invalid", Boolean(errors[node.dataset.error]));
  });
}

let validateTimer = null;
function changed() {
  clearTimeout(validateTimer);
  validateTimer = setTimeout(async () => {
    if (!state.current) return;
    const body = collect();
    const {data} = await api("POST", "/api/validate", body);
    const errors = data.errors || {};
    if (!body.inputs.every(v => v)) { delete errors.inputs; for (const key of Object.keys(errors)) if (key.startsWith("input")) delete errors[key]; }
    showErrors(errors);
  }, 250);
}

async function submit(event) {
  if (event) event.preventDefault();
  const {ok, data} = await api("POST", "/api/jobs", collect());
  showErrors(ok ? {} : (data.errors || {_: data.error}));
  return ok ? data.job : null;
}

// -- training ---------------------------------------------------------------------------------
async function loadDatasets(selected) {
  const {data} = await api("GET", "/api/datasets");
  $("#train-data").replaceChildren(el("option", {value: "", text: "(the model's default data)"}),
    ...(data.datasets || []).map(d => el("option", {value: d.path, text: `${d.name} (${d.files} files)`, selected: d.path === selected})));
}

function setUpTraining(c) {
  const panel = $("#train-panel");
  panel.hidden = !c.trainable;
  if (!c.trainable) return;
  $("#train-fields").replaceChildren(...c.train_params.map(p => fieldFor(p, undefined, "train")));
  $("#train-result").textContent = "";
  $("#train-previews").replaceChildren();
  $("#train-resume").hidden = true;
  document.querySelectorAll("[data-train-error]").forEach(n => { n.textContent = ""; });
  loadDatasets();
}

async function addTrainingFiles(event) {
  // files, a zip/tar archive (unpacked and checked by the server), or a folder: each file is sent
  // with its path inside the chosen folder, so class sub-folders stay
  const name = $("#train-dataset-name").value.trim() || "data";
  const error = $('[data-train-error="data"]');
  let dataset = null, added = 0, skipped = 0;
  for (const file of event.target.files) {
    const path = file.webkitRelativePath ? file.webkitRelativePath.split("/").slice(1).join("/") : file.name;
    const {ok, data} = await api("POST", `/api/datasets?dataset=${encodeURIComponent(name)}&name=${encodeURIComponent(path)}`, undefined, file);
    if (!ok) {
      if (!file.webkitRelativePath) { error.textContent = data.error; event.target.value = ""; return; }
      skipped += 1; continue;  // a folder's stray file (a README) is skipped, as in an archive
    }
    dataset = data.dataset; added += data.dataset.added; skipped += data.dataset.skipped;
  }
  error.textContent = "";
  event.target.value = "";
  $("#train-added").textContent = dataset ? `${dataset.name}: added ${added} file(s)${skipped ? `, skipped ${skipped} of no type a reader knows` : ""}; ${dataset.files} in all` : "";
  if (dataset) loadDatasets(dataset.path);
}

function showTrainingRun(job) {  // the run's newest previews and what to do next, in the train panel
  if (!job || job.id !== state.training) return;
  $("#train-previews").replaceChildren(...(job.samples || []).map(name => {
    const url = `/api/jobs/${job.id}/samples/${encodeURIComponent(name)}`;
    return /\.(png|gif)$/.test(name) ? el("figure", {}, el("img", {src: url, alt: `preview ${name}`}), el("figcaption", {text: name}))
      : el("a", {href: url, text: name});
  }));
  const done = !["queued", "running"].includes(job.state);
  const step = job.result && job.result.summary ? job.result.summary.step : null;
  $("#train-result").textContent = !done ? `training… ${job.progress ? `${job.progress.n}/${job.progress.total}` : ""}`
    : job.state === "done" ? `done: model=${job.result.model} is now a choice of ${job.component}'s model field`
    : job.state === "cancelled" ? `stopped${step !== null ? ` at step ${step}` : ""}` + (job.resumable ? "; its checkpoint is saved: resume continues it" : "")
    : (job.error || job.state);
  $("#train-resume").hidden = !(done && job.resumable);
}

async function resumeTraining(jobId) {
  const {ok, data} = await api("POST", `/api/jobs/${jobId}/resume`);
  if (!ok) { $("#train-result").textContent = data.error; return; }
  followTraining(data.job);
}

function followTraining(job) {
  const c = state.current;
  state.training = job.id;
  showTrainingRun(job);
  waitJob(job.id, finished => {
    if (finished.state === "done" && c) selectComponent(c, {params: {model: finished.result.model}});  // (resets the panel, so first)
    $("#train-panel").open = true;
    state.training = finished.id;
    showTrainingRun(finished);
  });
}

async function train() {
  const c = state.current, params = {};
  for (const p of c.train_params) {
    const control = $(`#train-${CSS.escape(p.name)}`);
    if (!control) continue;
    if (control.type === "checkbox") { if (control.checked !== (p.default === true)) params[p.name] = control.checked; }
    else if (control.value !== "" && control.value !== String(p.default)) params[p.name] = control.value;
  }
  const body = {name: c.name, params, data: $("#train-data").value, dry_run: $("#train-dry").checked, seed: $("#seed").value.trim()};
  const {ok, data} = await api("POST", "/api/train", body);
  document.querySelectorAll("[data-train-error]").forEach(n => { n.textContent = ok ? "" : ((data.errors || {})[n.dataset.trainError] || ""); });
  if (!ok) return;
  followTraining(data.job);
}

// -- uploads ----------------------------------------------------------------------------------
async function uploadFile(file, errorNode) {
  if (!file) return null;
  const {ok, data} = await api("POST", `/api/uploads?name=${encodeURIComponent(file.name)}`, undefined, file);
  if (errorNode) errorNode.textContent = ok ? "" : data.error;
  if (!ok) return null;
  state.works.unshift(data.work);
  return data.work;
}

// -- the queue --------------------------------------------------------------------------------
function renderQueue(jobs) {
  state.jobs = jobs;
  const list = $("#queue");
  list.replaceChildren(...jobs.slice(0, 40).map(job => {
    const progress = job.progress && job.progress.total
      ? el("progress", {max: job.progress.total, value: job.progress.n, title: `${job.progress.desc} ${job.progress.n}/${job.progress.total}`}) : null;
    const elapsed = job.started ? ((job.finished || Date.now() / 1000) - job.started).toFixed(1) + " s" : (job.position ? `#${job.position} in line` : "");
    const result = job.result && job.result.detail
      ? el("div", {class: "result", text: `${job.result.identical ? "✔" : "✘"} ${job.result.detail}`}) : null;
    return el("li", {"data-job": job.id, "data-state": job.state},
      el("div", {class: "row"}, el("span", {class: `state ${job.state}`, text: job.state}), el("span", {text: job.label}),
        el("span", {class: "muted", text: elapsed})),
      progress, job.error ? el("div", {class: "job-error", text: job.error}) : null, result,
      job.samples && job.samples.length && /\.(png|gif)$/.test(job.samples[job.samples.length - 1])
        ? el("img", {class: "sample", alt: "newest preview", src: `/api/jobs/${job.id}/samples/${encodeURIComponent(job.samples[job.samples.length - 1])}`}) : null,
      ["queued", "running"].includes(job.state)
        ? el("button", {type: "button", class: "cancel", text: "cancel", onclick: () => api("POST", `/api/jobs/${job.id}/cancel`)}) : null,
      job.resumable ? el("button", {type: "button", class: "resume", text: "resume", onclick: () => resumeTraining(job.id)}) : null);
  }));
  showTrainingRun(jobs.find(job => job.id === state.training));
  for (const job of jobs) {
    if (job.action === "reproduce" && job.state === "done" && job.result) state.reproductions[job.works[0] || job.label] = job.result;
  }
}

// -- the history ------------------------------------------------------------------------------
async function refreshHistory() {
  const component = $("#filter-component").value, kind = $("#filter-kind").value;
  const {data} = await api("GET", `/api/works?component=${encodeURIComponent(component)}&kind=${encodeURIComponent(kind)}`);
  state.works = data.works;
  renderHistory();
}

function takers(kind) {
  return state.components.filter(c => c.inputs.includes(kind));
}

function sendTo(w, c) {
  const inputs = c.inputs.map(() => "");
  inputs[c.inputs.indexOf(w.kind)] = w.id;
  for (let i = 0; i < c.inputs.length; i++) if (!inputs[i]) {  // the newest work of each other kind
    const other = state.works.find(x => x.kind === c.inputs[i] && x.id !== w.id);
    if (other) inputs[i] = other.id;
  }
  selectComponent(c, {inputs});
}

function componentOf(w) {
  const kind = {generate: "generator", stylize: "stylizer", compose: "composer"}[w.action];
  return state.components.find(c => c.kind === kind && c.name === w.component);
}

function card(w) {
  const made = w.action !== "upload";
  const c = componentOf(w);
  const send = el("select", {class: "send", "aria-label": "send to"}, el("option", {value: "", text: "send to…"}),
    takers(w.kind).map(t => el("option", {value: `${t.kind}/${t.name}`, text: `${t.name} (${t.kind})`})));
  send.addEventListener("change", () => {
    const target = state.components.find(t => `${t.kind}/${t.name}` === send.value);
    if (target) sendTo(w, target);
    send.value = "";
  });
  const formats = el("select", {class: "format", "aria-label": "download format"});
  const download = el("a", {class: "download", href: "#", text: "download"});
  const setFormat = () => { download.href = `/api/works/${w.id}/download?format=${encodeURIComponent(formats.value)}`; };
  formats.addEventListener("change", setFormat);
  const art = el("div", {class: "art"});
  api("GET", `/api/works/${w.id}`).then(({data}) => {
    if (!data.formats) return;
    art.innerHTML = data.html;  // the work's fragment (engine/fragments.py), as the gallery and Jupyter show it
    window.MuseFragments.enhance(art);
    const own = w.files.main.slice(w.files.main.lastIndexOf("."));  // the work's own format first
    const ordered = [own, ...data.formats.filter(s => s !== own)].filter(s => data.formats.includes(s));
    formats.replaceChildren(...ordered.map(s => el("option", {value: s, text: s})));
    setFormat();
  });
  const outcome = el("div", {class: "outcome"});
  const remove = el("button", {type: "button", class: "danger delete", text: "delete"});
  remove.addEventListener("click", async () => {
    if (remove.dataset.sure !== "1") { remove.dataset.sure = "1"; remove.textContent = "really delete?"; return; }
    await api("DELETE", `/api/works/${w.id}`); refreshHistory();
  });
  const rerun = (seed, go) => {
    if (!c) return;
    const inputs = w.inputs || [];
    selectComponent(c, {params: w.params, seed, inputs});
    if (go) submit();
  };
  const actions = el("div", {class: "actions"},
    made ? el("button", {type: "button", class: "reproduce", text: "reproduce", onclick: async () => {
      outcome.textContent = "reproducing…"; outcome.className = "outcome";
      const {data} = await api("POST", `/api/works/${w.id}/reproduce`);
      waitJob(data.job && data.job.id, job => {
        if (job.error) { outcome.textContent = job.error; outcome.className = "outcome differs"; return; }
        outcome.textContent = `${job.result.identical ? "✔" : "✘"} ${job.result.detail}`;
        outcome.className = `outcome ${job.result.identical ? "same" : "differs"}`;
      });
    }}) : null,
    made && c ? el("button", {type: "button", class: "vary", text: "vary seed", onclick: () => rerun(Math.floor(Math.random() * 2 ** 31), true)}) : null,
    made && c ? el("button", {type: "button", class: "rerun", text: "edit & re-run", onclick: () => rerun(w.seed, false)}) : null,
    send, formats, download,
    made ? el("a", {class: "recipe", href: `/api/works/${w.id}/recipe`, text: "recipe"}) : null, remove);
  const title = made ? `${w.component}${w.seed !== null ? ` · seed ${w.seed}` : ""}` : `upload: ${w.name}`;
  const params = Object.entries(w.params || {}).map(([k, v]) => `${k}=${v}`).join(" ");
  return el("article", {class: "card", "data-work": w.id, "data-kind": w.kind, "data-component": w.component},
    el("h3", {text: title}), el("div", {class: "what", text: `${w.describe}${params ? " · " + params : ""}`}),
    art, actions, outcome,
    el("details", {}, el("summary", {text: "provenance"}), el("pre", {text: JSON.stringify(w.meta, null, 1)})));
}

const cardNodes = new Map();  // a work's card is built once: a playing tune keeps playing when others arrive
function renderHistory() {
  const shown = new Set(state.works.map(w => w.id));
  for (const id of [...cardNodes.keys()]) if (!shown.has(id)) cardNodes.delete(id);
  $("#history").replaceChildren(...state.works.map(w => {
    if (!cardNodes.has(w.id)) cardNodes.set(w.id, card(w));
    return cardNodes.get(w.id);
  }));
}

const waiting = {};
function waitJob(id, then) {
  if (!id) return;
  waiting[id] = then;
  api("GET", `/api/jobs/${id}`).then(({data}) => {  // it may have finished before we started waiting
    const job = data.job;
    if (job && waiting[id] && !["queued", "running"].includes(job.state)) { waiting[id](job); delete waiting[id]; }
  });
}

// -- live updates -----------------------------------------------------------------------------
function connect() {
  const source = new EventSource("/api/events");
  source.addEventListener("open", () => { $("#connection").textContent = "connected"; });
  source.addEventListener("error", () => { $("#connection").textContent = "reconnecting…"; });
  source.addEventListener("jobs", event => {
    const jobs = JSON.parse(event.data);
    renderQueue(jobs);
    for (const job of jobs) if (waiting[job.id] && !["queued", "running"].includes(job.state)) { waiting[job.id](job); delete waiting[job.id]; }
  });
  source.addEventListener("history", event => {
    const version = JSON.parse(event.data).version;
    if (version !== state.historyVersion) { state.historyVersion = version; refreshHistory(); }
  });
}

// -- plugins ----------------------------------------------------------------------------------
async function loadPlugins() {
  const {data} = await api("GET", "/api/plugins");
  $("#plugins").replaceChildren(
    data.errors.length ? el("div", {class: "plugin"}, el("b", {text: "load errors"}), data.errors.map(e => el("div", {class: "bad", text: e}))) : "",
    ...data.plugins.map(p => el("div", {class: "plugin"},
      el("b", {text: `${p.name} ${p.version}`}), " ", el("span", {class: "muted", text: `[${p.source}]`}),
      p.hooks.length ? el("div", {text: `hooks: ${p.hooks.join(", ")}`}) : null,
      p.components.length ? el("div", {text: `components: ${p.components.join(", ")}`}) : null,
      p.errors.map(e => el("div", {class: "bad", text: `error: ${e}`})))));
}

function showTab(name) {
  document.querySelectorAll(".tab").forEach(t => t.classList.toggle("active", t.dataset.tab === name));
  $("#page-make").hidden = name !== "make";
  $("#page-plugins").hidden = name !== "plugins";
  if (name === "plugins") loadPlugins();
}

document.addEventListener("DOMContentLoaded", async () => {
  document.querySelectorAll(".tab").forEach(t => t.addEventListener("click", () => showTab(t.dataset.tab)));
  $("#form").addEventListener("submit", submit);
  $("#form").addEventListener("input", changed);
  $("#form").addEventListener("change", changed);
  $("#dice").addEventListener("click", () => { $("#seed").value = Math.floor(Math.random() * 2 ** 31); changed(); });
  $("#filter-component").addEventListener("change", refreshHistory);
  $("#filter-kind").addEventListener("change", refreshHistory);
  $("#upload-any").addEventListener("change", async e => {
    const record = await uploadFile(e.target.files[0], $("#upload-error"));
    if (record) refreshHistory();
  });
  $("#train-files").addEventListener("change", addTrainingFiles);
  $("#train-folder").addEventListener("change", addTrainingFiles);
  $("#train-resume").addEventListener("click", () => resumeTraining(state.training));
  $("#train-run").addEventListener("click", train);
  $("#recipe-file").addEventListener("change", async e => {
    const file = e.target.files[0];
    if (!file) return;
    const {ok, data} = await api("POST", `/api/recipes?name=${encodeURIComponent(file.name)}`, undefined, file);
    $("#upload-error").textContent = ok ? "" : data.error;
    e.target.value = "";
  });
  await loadComponents();
  await refreshHistory();
  connect();
  document.body.dataset.ready = "1";
});
