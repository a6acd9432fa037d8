/** Where the console's passkey script is served; pages with passkey forms load it after @simplewebauthn/browser. */
export const PASSKEY_SCRIPT_PATH = '/assets/console-passkeys.js';

/**
 * The console's one script of its own, for the forms marked `data-passkey` (`register`, `sign-in`, `second-factor`).
 * WebAuthn needs JavaScript, so these forms are hidden until this script finds a browser that can make passkeys. On
 * submit it asks the form's `data-options` URL for the ceremony's options (a POST with the form's CSRF token and
 * fields), runs the ceremony with @simplewebauthn/browser, puts the browser's answer in the form's `response` field
 * and submits the form as any form is: the server's answer is a page, as for every other form.
 */
export const PASSKEY_SCRIPT = `(() => {
  'use strict';
  const webauthn = window.SimpleWebAuthnBrowser;
  const forms = document.querySelectorAll('form[data-passkey]');
  const supported = webauthn !== undefined && webauthn.browserSupportsWebAuthn();
  for (const note of document.querySelectorAll('[data-passkey-unsupported]')) note.hidden = supported;
  if (!supported) return;
  const say = (form, text) => {
    const status = form.querySelector('[data-passkey-status]');
    if (status) status.textContent = text;
  };
  const failure = (error) => {
    if (error && error.name === 'NotAllowedError') return 'The passkey prompt was closed or timed out. Nothing was changed.';
    if (error && error.name === 'InvalidStateError') return 'This authenticator already holds a passkey for you here.';
    return 'The passkey step did not finish: ' + (error && error.message ? error.message : 'unknown error') + '.';
  };
  for (const form of forms) {
    form.hidden = false;
    let busy = false;
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (busy) return;
      busy = true;
      const button = form.querySelector('button[type="submit"]');
      if (button) button.disabled = true;
      try {
        say(form, 'Asking the console…');
        const fields = new URLSearchParams();
        for (const [name, value] of new FormData(form)) if (name !== 'response' && typeof value === 'string') fields.append(name, value);
        const answer = await fetch(form.dataset.options, { method: 'POST', body: fields, credentials: 'same-origin', headers: { accept: 'application/json' } });
        const body = await answer.json().catch(() => ({}));
        if (!answer.ok) {
          say(form, (body.message || 'The console refused (' + answer.status + ').') + (body.hint ? ' ' + body.hint : ''));
          return;
        }
        say(form, 'Waiting for your passkey…');
        const result = form.dataset.passkey === 'register'
          ? await webauthn.startRegistration({ optionsJSON: body })
          : await webauthn.startAuthentication({ optionsJSON: body });
        form.querySelector('input[name="response"]').value = JSON.stringify(result);
        say(form, 'Checking…');
        form.submit();
      } catch (error) {
        say(form, failure(error));
      } finally {
        busy = false;
        if (button) button.disabled = false;
      }
    });
  }
})();
`;
