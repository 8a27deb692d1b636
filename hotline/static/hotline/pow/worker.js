// A share of the proof-of-work search for pow.js: counters start, start + step, start + 2 step…
// ALTCHA PoW v2, SHA-256 with cost 1 (as the altcha library derives it): the key is
// SHA-256(salt ‖ nonce ‖ counter as 4 bytes big-endian); the counter sought is the one whose
// key starts with keyPrefix. Posts {counter, derivedKey, time}, or null if it cannot.
"use strict";

function bytes(hex) {
  var out = new Uint8Array(hex.length / 2);
  for (var i = 0; i < out.length; i++) {
    out[i] = parseInt(hex.substr(i * 2, 2), 16);
  }
  return out;
}

function hex(buffer) {
  return Array.from(buffer, function (b) {
    return b.toString(16).padStart(2, "0");
  }).join("");
}

self.onmessage = async function (event) {
  var parameters = event.data.parameters;
  var step = event.data.step;
  if (
    parameters.algorithm !== "SHA-256" ||
    parameters.cost !== 1 ||
    parameters.keyLength !== 32 ||
    parameters.keyPrefix.length % 2 !== 0
  ) {
    self.postMessage(null);
    return;
  }
  var salt = bytes(parameters.salt);
  var nonce = bytes(parameters.nonce);
  var prefix = bytes(parameters.keyPrefix);
  var data = new Uint8Array(salt.length + nonce.length + 4);
  data.set(salt, 0);
  data.set(nonce, salt.length);
  var view = new DataView(data.buffer);
  var began = performance.now();
  for (var counter = event.data.start; counter <= 0xffffffff; counter += step) {
    view.setUint32(salt.length + nonce.length, counter, false);
    var key = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
    var i = 0;
    while (i < prefix.length && key[i] === prefix[i]) {
      i++;
    }
    if (i === prefix.length) {
      self.postMessage({
        counter: counter,
        derivedKey: hex(key),
        time: Math.round(performance.now() - began),
      });
      return;
    }
  }
  self.postMessage(null);
};
