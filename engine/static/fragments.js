// How works behave (engine/fragments.py): a play button and a playhead for a score's piano roll,
// and a note when a CJK text meets a browser without a CJK font. Idempotent: every page (the
// studio, the gallery, each notebook output) may load it; MuseFragments.enhance(root) is safe
// to call again on new content. Without it the native audio controls still play.
(function () {
  "use strict";
  if (window.MuseFragments) { window.MuseFragments.enhance(document); return; }

  function score(figure) {
    var audio = figure.querySelector("audio"), button = figure.querySelector(".muse-play");
    var svg = figure.querySelector(".muse-roll"), head = figure.querySelector(".muse-playhead");
    if (!audio || !svg || !head) return;
    var duration = parseFloat(figure.getAttribute("data-duration")) || 1;
    var width = svg.viewBox.baseVal.width;
    figure.setAttribute("data-playable", "");
    var draw = function () {
      var x = Math.min(audio.currentTime / duration, 1) * width;
      head.setAttribute("x1", x); head.setAttribute("x2", x);
      head.setAttribute("visibility", audio.currentTime > 0 ? "visible" : "hidden");
    };
    var tick = function () { draw(); if (!audio.paused) requestAnimationFrame(tick); };
    audio.addEventListener("play", function () { if (button) button.textContent = "❚❚ pause"; tick(); });
    audio.addEventListener("pause", function () { if (button) button.textContent = "▶ play"; draw(); });
    audio.addEventListener("seeked", draw);
    svg.addEventListener("click", function (event) {
      var box = svg.getBoundingClientRect();
      audio.currentTime = (event.clientX - box.left) / box.width * duration;
      audio.play();
    });
    if (button) {
      button.hidden = false;
      button.addEventListener("click", function () { if (audio.paused) audio.play(); else audio.pause(); });
    }
  }

  var cjkFont = null;
  function hasCjkFont() {  // without one, a CJK glyph draws as the same box as an unassigned code point
    if (cjkFont === null) {
      var draw = function (text) {
        var canvas = document.createElement("canvas"); canvas.width = canvas.height = 40;
        var g = canvas.getContext("2d");
        g.font = '32px "Noto Serif CJK SC","Noto Sans CJK SC","Source Han Serif SC","Songti SC","SimSun",serif';
        g.textBaseline = "top"; g.fillText(text, 2, 2);
        return g.getImageData(0, 0, 40, 40).data.join(",");
      };
      cjkFont = draw("\u6c38") !== draw("\u0378");  // 永 against a code point no font has
    }
    return cjkFont;
  }

  function text(figure) {
    var note = figure.querySelector(".muse-font-note");
    if (note && !hasCjkFont()) note.hidden = false;
  }

  function enhance(root) {
    var figures = (root || document).querySelectorAll(".muse-work:not([data-muse-ready])");
    Array.prototype.forEach.call(figures, function (figure) {
      figure.setAttribute("data-muse-ready", "");
      if (figure.classList.contains("muse-score")) score(figure);
      else if (figure.classList.contains("muse-text")) text(figure);
    });
  }

  window.MuseFragments = {enhance: enhance, hasCjkFont: hasCjkFont};
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  else enhance(document);
})();
