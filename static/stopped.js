// The notice shown when the app's WebAssembly stops on an error (a trap: in this build a Rust
// panic aborts at once). The page then still looks alive, but typing into it would save
// nothing, so it is covered with a message and a reload button; what was saved is on the
// device and comes back with the reload. An embedding host hears an `error` event with
// `stopped: true`, by its native bridge or, when the app is framed, by postMessage to this
// origin. Loaded before the app, as a plain script, so it listens from the start. It cannot
// call the app's modules, so it repeats two of their facts: the key of the kept language
// (src/device.rs, LOCALE_KEY) and the shape of a host event (src/host.rs, emit and PROTOCOL).
(() => {
  const stopped = (error) => error instanceof WebAssembly.RuntimeError;

  function show(error) {
    if (document.getElementById("app-stopped")) return;
    let english = false;
    try {
      english = localStorage.getItem("doorstep-locale") === "en";
    } catch (_) { /* no storage: Chinese, the default */ }
    const box = document.createElement("div");
    box.id = "app-stopped";
    box.setAttribute("role", "alertdialog");
    box.setAttribute("aria-modal", "true");
    box.setAttribute("aria-labelledby", "app-stopped-text");
    const text = document.createElement("p");
    text.id = "app-stopped-text";
    text.textContent = english
      ? "The app stopped on an error. What was saved on this device is kept; reload to go on."
      : "应用出错，已停止运行。本机已保存的内容不会丢失，请重新载入后继续。";
    const reload = document.createElement("button");
    reload.type = "button";
    reload.textContent = english ? "Reload" : "重新载入";
    reload.addEventListener("click", () => location.reload());
    box.append(text, reload);
    document.body.append(box);
    reload.focus();
    tell(String(error && error.message || error));
  }

  function tell(message) {
    const event = JSON.stringify({
      doorstep: 1, type: "event", event: "error", data: { message: `the app stopped: ${message}`, stopped: true },
    });
    try {
      if (window.DoorstepBridge && typeof window.DoorstepBridge.postMessage === "function") {
        window.DoorstepBridge.postMessage(event);
      }
      if (window.parent !== window) window.parent.postMessage(JSON.parse(event), location.origin);
    } catch (_) { /* the notice on screen is what matters */ }
  }

  addEventListener("error", (event) => { if (stopped(event.error)) show(event.error); });
  addEventListener("unhandledrejection", (event) => { if (stopped(event.reason)) show(event.reason); });
})();
