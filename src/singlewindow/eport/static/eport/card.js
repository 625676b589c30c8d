/* 卡介质: talk to the 客户端控件 (the card agent on 127.0.0.1) in the e-port control's protocol.
 * The PIN goes to the agent only; the server gets the certificate and the signature of its own challenge. */
(function () {
  "use strict";
  if (window.swEport) { return; }
  var PREFIX = "cus-sec_";

  function Agent(url, probeUrl, timeout) {
    this.url = url;
    this.probeUrl = probeUrl;  // the same listener over http:// (http.agent_http_url)
    this.timeout = timeout || 8000;
    this.ws = null;
    this.ready = null;
    this.nextId = 1;
    this.pending = {};
  }

  Agent.prototype.connect = function () {
    var self = this;
    if (self.ready) { return self.ready; }
    self.ready = new Promise(function (resolve, reject) {
      var ws, opened = false;
      var timer = setTimeout(function () { fail("EP-101"); if (ws) { ws.close(); } }, self.timeout);
      function fail(code) {
        clearTimeout(timer);
        self.ready = null;
        self.ws = null;
        Object.keys(self.pending).forEach(function (id) {
          var waiter = self.pending[id];
          delete self.pending[id];
          waiter({Result: false, Error: ["", "EP-102"]});
        });
        if (!opened) { reject({code: code}); }
      }
      try { ws = new WebSocket(self.url); } catch (e) { fail("EP-101"); return; }
      ws.onmessage = function (event) {
        var message;
        try { message = JSON.parse(event.data); } catch (e) { return; }
        if (message._method === "open") {
          opened = true;
          clearTimeout(timer);
          self.ws = ws;
          resolve(self);
          return;
        }
        var waiter = self.pending[message._id];
        if (waiter) { delete self.pending[message._id]; waiter(message._args || {}); }
      };
      // The browser hides why a handshake failed. Something that answers plain HTTP at the agent's address
      // is the control refusing this site's origin (EP-103); nothing answering is no control (EP-101).
      var failing = false;
      function failed() {
        if (failing) { return; }  // onerror and onclose both come
        failing = true;
        if (opened) { fail("EP-101"); return; }
        fetch(self.probeUrl, {mode: "no-cors", cache: "no-store"}).then(
          function () { fail("EP-103"); }, function () { fail("EP-101"); });
      }
      ws.onerror = failed;
      ws.onclose = failed;
    });
    return self.ready;
  };

  Agent.prototype.call = function (name, args) {
    var self = this;
    return self.connect().then(function () {
      return new Promise(function (resolve, reject) {
        var id = self.nextId++;
        var timer = setTimeout(function () { delete self.pending[id]; reject({code: "EP-102"}); }, self.timeout);
        self.pending[id] = function (result) {
          clearTimeout(timer);
          if (result.Result) { resolve(result.Data || []); return; }
          var error = result.Error || [];
          reject({code: error[1] || "EP-102", message: error[0]});
        };
        self.ws.send(JSON.stringify({_method: PREFIX + name, _id: id, args: args || {}}));
      });
    });
  };

  function part(root, name) { return root.querySelector('[data-eport="' + name + '"]'); }

  // An error as the user reads it: the message, its code linked to the help page's explanation.
  function explain(root, box, error) {
    var key = "msg" + String(error.code).replace("-", "").replace(/^EP/, "Ep");  // EP-101 -> data-msg-ep101
    var message = (error.message || root.dataset[key] || "").split("{origin}").join(window.location.origin);
    box.textContent = message + "（" + root.dataset.msgCode + " ";
    var link = document.createElement("a");
    link.href = root.dataset.helpUrl + "#code-" + error.code;
    link.textContent = error.code;
    box.appendChild(link);
    box.appendChild(document.createTextNode("）"));
    box.hidden = false;
  }

  function csrf(form) { return form.querySelector("input[name=csrfmiddlewaretoken]").value; }

  function loginPane(root) {
    var agent = new Agent(root.dataset.agentUrl, root.dataset.agentProbeUrl);
    var form = part(root, "form");
    var button = form.querySelector("button[type=submit]");
    var pin = root.querySelector("#eport-pin");
    var errorBox = part(root, "card-error");
    var detected = false;

    function problem(error) {
      if (error.code === "EP-101") { part(root, "no-agent").hidden = false; return; }
      explain(root, errorBox, error);
    }

    function detect() {
      detected = true;
      part(root, "checking").hidden = false;
      ["no-agent", "card-error", "card-info"].forEach(function (name) { part(root, name).hidden = true; });
      button.disabled = true;
      agent.call("SpcGetCardID").then(function (number) {
        part(root, "card-no").textContent = number[0];
        return Promise.all([agent.call("SpcGetEntName"), agent.call("SpcGetUName")]);
      }).then(function (answers) {
        part(root, "ent-name").textContent = answers[0][0];
        part(root, "holder").textContent = answers[1][0];
        part(root, "card-info").hidden = false;
        button.disabled = false;
      }).catch(problem).then(function () { part(root, "checking").hidden = true; });
    }

    part(root, "retry").addEventListener("click", detect);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      errorBox.hidden = true;
      if (!pin.value) { explain(root, errorBox, {code: "1006", message: root.dataset.msgPin}); return; }
      button.disabled = true;
      var challenge;
      agent.call("SpcVerifyPIN", {passwd: pin.value}).then(function () {
        return fetch(root.dataset.challengeUrl, {method: "POST", credentials: "same-origin",
                                                 headers: {"X-CSRFToken": csrf(form)}});
      }).then(function (response) {
        if (!response.ok) {  // the server says why (EP-212: too many requests), else a spent request
          return response.json().catch(function () { return {}; }).then(function (body) {
            throw {code: body.code || "EP-201", message: body.error || root.dataset.msgEp201};
          });
        }
        return response.json();
      }).then(function (issued) {
        challenge = issued;
        return agent.call("SpcSignDataAsPEM", {inData: issued.data, passwd: pin.value});
      }).then(function (signature) {
        form.elements.namedItem("signature").value = signature[0];
        return agent.call("SpcGetSignCertAsPEM");
      }).then(function (certificate) {
        form.elements.namedItem("certificate").value = certificate[0];
        form.elements.namedItem("challenge").value = challenge.challenge;
        pin.value = "";
        form.submit();
      }).catch(function (error) {
        button.disabled = false;
        problem(error);
      });
    });

    var tab = document.getElementById("tab-card");
    var pane = root.closest(".tab-pane");
    if (tab && window.bootstrap && new URLSearchParams(window.location.search).get("method") === "card") {
      window.bootstrap.Tab.getOrCreateInstance(tab).show();
    }
    if (!pane || pane.classList.contains("active")) { detect(); }
    if (tab) { tab.addEventListener("shown.bs.tab", function () { if (!detected) { detect(); } }); }
  }

  function signStep(root) {
    var agent = new Agent(root.dataset.agentUrl, root.dataset.agentProbeUrl);
    var form = root.closest("form");
    var pin = root.querySelector("input[type=password]");
    var errorBox = part(root, "sign-error");
    var signed = false;

    form.addEventListener("submit", function (event) {
      if (signed) { return; }
      event.preventDefault();
      errorBox.hidden = true;
      if (!pin.value) { explain(root, errorBox, {code: "1006", message: root.dataset.msgPin}); return; }
      var button = event.submitter;
      if (button) { button.disabled = true; }
      agent.call("SpcGetCardID").then(function (number) {
        if (number[0] !== root.dataset.card) { throw {code: "EP-209"}; }
        return fetch(root.dataset.signUrl, {method: "POST", credentials: "same-origin", body: new FormData(form)});
      }).then(function (response) {
        if (response.status === 401) {  // the login timed out: the login page says so
          return response.json().then(function (body) {
            window.location.assign(body.login);
            return new Promise(function () {});
          });
        }
        if (!response.ok) { return null; }  // the form has errors: submit it so the server shows them
        return response.json();
      }).then(function (issued) {
        if (!issued) { return null; }
        return agent.call("SpcSignDataAsPEM", {inData: issued.data, passwd: pin.value}).then(function (signature) {
          form.elements.namedItem("card_challenge").value = issued.challenge;
          form.elements.namedItem("card_signature").value = signature[0];
        });
      }).then(function () {
        pin.value = "";
        signed = true;
        form.submit();
      }).catch(function (error) {
        if (button) { button.disabled = false; }
        explain(root, errorBox, error);
      });
    });
  }

  window.swEport = {Agent: Agent};
  document.querySelectorAll("[data-eport-login]").forEach(loginPane);
  document.querySelectorAll("[data-eport-sign]").forEach(signStep);
})();
