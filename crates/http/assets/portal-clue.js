// The public forms' challenge (投诉举报 and 信用异议, services::clues::portal): find n such that
// SHA-256("<token>:<n>") starts with the token's number of zero bits, with the browser's own
// WebCrypto, and put n in the form. Without WebCrypto (a page not served over HTTPS) or without
// scripts the page's question stays for the person to answer.
(function () {
  "use strict";
  var form = document.getElementById("clue-form") || document.querySelector("form[data-challenge]");
  var tokenInput = document.getElementById("challenge");
  var work = document.getElementById("work");
  var question = document.getElementById("challenge-question");
  var status = document.getElementById("challenge-status");
  var submit = document.getElementById("clue-submit") || document.querySelector("[data-challenge-submit]");
  if (!form || !tokenInput || !work || !window.crypto || !window.crypto.subtle || !window.TextEncoder) {
    return;
  }
  var token = tokenInput.value;
  var bits = parseInt(tokenInput.getAttribute("data-bits"), 10) || 16;
  var enc = new TextEncoder();
  var solved = false;
  var pending = false;

  function zeroBits(buf) {
    var b = new Uint8Array(buf);
    var n = 0;
    for (var i = 0; i < b.length; i++) {
      if (b[i] === 0) { n += 8; continue; }
      var x = b[i];
      while ((x & 0x80) === 0) { n++; x <<= 1; }
      break;
    }
    return n;
  }

  function show(text) {
    status.textContent = text;
    status.classList.remove("d-none");
  }

  question.classList.add("d-none");
  var err = document.getElementById("challenge-error");
  if (err) { err.classList.remove("d-none"); }
  show("正在进行人机验证（在本机计算，无需操作）…");

  function batch(start) {
    var size = 512;
    var tries = [];
    for (var i = 0; i < size; i++) {
      tries.push(window.crypto.subtle.digest("SHA-256", enc.encode(token + ":" + (start + i))));
    }
    return Promise.all(tries).then(function (hashes) {
      for (var j = 0; j < hashes.length; j++) {
        if (zeroBits(hashes[j]) >= bits) { return start + j; }
      }
      return batch(start + size);
    });
  }

  batch(0).then(function (n) {
    work.value = String(n);
    solved = true;
    show("人机验证已完成，可以提交。");
    if (pending) { form.submit(); }
  }, function () {
    // WebCrypto refused: fall back to the question.
    question.classList.remove("d-none");
    status.classList.add("d-none");
  });

  form.addEventListener("submit", function (e) {
    if (!solved && question.classList.contains("d-none")) {
      e.preventDefault();
      pending = true;
      if (submit) { submit.disabled = true; }
      show("正在完成人机验证，完成后将自动提交…");
    }
  });
})();
