// Conveniences only: every page works without this file. No library, no network access.
"use strict";

// Eligibility results: a "show only items that are not eligible" switch above the table.
function addResultsFilter() {
  const table = document.getElementById("results-table");
  if (!table) return;
  const label = document.documentElement.lang.startsWith("zh") ? "只显示不符合的条目" : "Show only items that are not eligible";
  const wrapper = document.createElement("div");
  wrapper.className = "check";
  wrapper.innerHTML = '<input type="checkbox" id="only-not-eligible"><label for="only-not-eligible"></label>';
  wrapper.querySelector("label").textContent = label;
  table.parentElement.before(wrapper);
  wrapper.querySelector("input").addEventListener("change", (event) => {
    for (const row of table.tBodies[0].rows) {
      row.hidden = event.target.checked && row.dataset.eligible === "yes";
    }
  });
}

// Supply-chain graph: pointing at or focusing an organisation dims everything not linked to it.
function addGraphHighlight() {
  const graph = document.querySelector(".chain-graph");
  if (!graph) return;
  const nodes = graph.querySelectorAll(".node");
  const edges = graph.querySelectorAll(".edge");
  const clear = () => graph.querySelectorAll(".dim, .highlight").forEach((el) => el.classList.remove("dim", "highlight"));
  const show = (id) => {
    clear();
    const linked = new Set([id]);
    edges.forEach((edge) => {
      const touches = edge.dataset.supplier === id || edge.dataset.buyer === id;
      if (touches) { linked.add(edge.dataset.supplier); linked.add(edge.dataset.buyer); }
      edge.classList.toggle("dim", !touches);
    });
    nodes.forEach((node) => node.classList.toggle("dim", !linked.has(node.dataset.organisation)));
    graph.querySelector(`.node[data-organisation="${id}"]`).classList.add("highlight");
  };
  nodes.forEach((node) => {
    node.addEventListener("mouseenter", () => show(node.dataset.organisation));
    node.addEventListener("focus", () => show(node.dataset.organisation));
    node.addEventListener("mouseleave", clear);
    node.addEventListener("blur", clear);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  addResultsFilter();
  addGraphHighlight();
});
