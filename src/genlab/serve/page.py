"""The self-contained HTML page of a served generator or image-to-image run (``GET /``): inline
CSS and JavaScript, no build step, no file but itself. It reads ``/v1/model`` and draws from
``/v1/generate`` (sliders, seed, class, truncation) or posts to ``/v1/translate``."""

from __future__ import annotations

import html

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>genlab serve: __TITLE__</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;max-width:56em;color:#222}
.row{display:flex;gap:2em;flex-wrap:wrap}
#controls label{display:block;margin:.35em 0}
#controls input[type=range]{width:14em;vertical-align:middle}
img{width:256px;height:256px;image-rendering:pixelated;border:1px solid #ccc;background:#eee;object-fit:contain}
#error{color:#b00020;white-space:pre-wrap}
code{background:#f3f3f3;padding:0 .2em}
</style></head>
<body>
<h1>genlab serve: <code>__TITLE__</code></h1>
<p id="summary">loading the model…</p>
<div class="row">
  <div id="controls"></div>
  <div><img id="image" alt="generated image" data-loaded="0"><br><a id="download" href="#" download="genlab.png">download PNG</a></div>
</div>
<p id="error"></p>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
$("image").addEventListener("load", () => {  // images shown so far (read by the browser test)
  $("image").dataset.loaded = String(Number($("image").dataset.loaded) + 1);
});
let info = null, pending = null;
function showError(text) { $("error").textContent = text || ""; }
function control(label, input) {
  const wrap = document.createElement("label");
  wrap.textContent = label + " ";
  wrap.appendChild(input);
  $("controls").appendChild(wrap);
  return input;
}
function number(id, value, min, max, step) {
  const input = document.createElement("input");
  Object.assign(input, {id, type: "number", value, min, max, step});
  return input;
}
function slider(id, min, max, step, value) {
  const input = document.createElement("input");
  Object.assign(input, {id, type: "range", min, max, step, value});
  return input;
}
function query() {
  const params = new URLSearchParams();
  params.set("seed", $("seed").value || "0");
  const z = [];
  for (let i = 0; i < info.sliders; i++) z.push($("z" + i).value);
  if ($("use_z").checked && z.length) params.set("z", z.join(","));
  if (info.conditional) params.set("label", $("label").value);
  if (info.truncation) params.set("truncation", $("truncation").value);
  return "/v1/generate?" + params.toString();
}
async function draw() {
  const url = query();
  pending = url;
  const answer = await fetch(url);
  if (pending !== url) return;  // a newer request was made meanwhile
  if (!answer.ok) { showError((await answer.json()).detail); return; }
  showError("");
  const blob = URL.createObjectURL(await answer.blob());
  $("image").src = blob;
  $("download").href = blob;
  $("download").download = "genlab-seed" + $("seed").value + ".png";
}
function generatorControls() {
  control("seed", number("seed", 0, 0, 4294967295, 1)).addEventListener("input", draw);
  const useZ = document.createElement("input");
  Object.assign(useZ, {id: "use_z", type: "checkbox", checked: false});
  control("set the first dims with the sliders", useZ).addEventListener("change", draw);
  for (let i = 0; i < info.sliders; i++) {
    const s = control("z[" + i + "]", slider("z" + i, -3, 3, 0.05, 0));
    const shown = document.createElement("output");
    shown.value = "0.00";
    s.parentElement.appendChild(shown);
    s.addEventListener("input", () => { shown.value = Number(s.value).toFixed(2); useZ.checked = true; draw(); });
  }
  if (info.conditional) {
    const select = document.createElement("select");
    select.id = "label";
    info.classes.forEach((name, i) => select.add(new Option(i + ": " + name, i)));
    control("class", select).addEventListener("change", draw);
  }
  if (info.truncation) control("truncation", slider("truncation", 0, 1, 0.05, 1)).addEventListener("input", draw);
  draw();
}
function translatorControls() {
  const file = document.createElement("input");
  Object.assign(file, {id: "file", type: "file", accept: "image/png,image/jpeg"});
  control("image", file);
  let direction = null;
  if (info.directions.length) {
    direction = document.createElement("select");
    direction.id = "direction";
    info.directions.forEach((d) => direction.add(new Option(d, d)));
    control("direction", direction);
  }
  const go = document.createElement("button");
  go.textContent = info.operation;
  $("controls").appendChild(go);
  go.addEventListener("click", async () => {
    if (!file.files.length) { showError("choose an image first"); return; }
    const form = new FormData();
    form.append("image", file.files[0]);
    const url = "/v1/translate" + (direction ? "?direction=" + direction.value : "");
    const answer = await fetch(url, {method: "POST", body: form});
    if (!answer.ok) { showError((await answer.json()).detail); return; }
    showError("");
    const blob = URL.createObjectURL(await answer.blob());
    $("image").src = blob;
    $("download").href = blob;
  });
}
fetch("/v1/model").then((r) => r.json()).then((model) => {
  info = model;
  $("summary").textContent = model.family + " run, " + model.kind +
      (model.latent_dim ? ", latent dim " + model.latent_dim : "");
  if (model.kind === "generator") generatorControls(); else translatorControls();
}).catch((e) => showError(String(e)));
</script>
</body></html>
"""


def page(title: str) -> str:
    return PAGE.replace("__TITLE__", html.escape(title))
