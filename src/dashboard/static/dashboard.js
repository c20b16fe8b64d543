/* global document, window, setTimeout, clearTimeout */
// The dashboard: sign in with the admin key, then refresh every panel every few seconds.
import { admin, AdminError, session } from './admin-api.js';
import { loadHistory } from './history-panels.js';
import { setUpKeys } from './keys.js';
import {
  loadReplicas,
  loadSpend,
  renderDeployments,
  renderGuardrails,
  renderRouting,
  renderTraffic,
} from './panels.js';

const refreshMs = 5000;
const byId = (id) => document.getElementById(id);
let timer;
let tick = 0;

function setStatus(text) {
  byId('status').textContent = text;
}

function showSignIn(message = '') {
  clearTimeout(timer);
  session.signOut();
  byId('sign-in').hidden = false;
  byId('panels').hidden = true;
  byId('nav').hidden = true;
  byId('sign-out').hidden = true;
  byId('sign-in-error').textContent = message;
  setStatus('');
  byId('admin-key').focus();
}

function onError(caught) {
  if (caught instanceof AdminError && caught.status === 401) {
    showSignIn('The admin key was refused.');
    return;
  }
  setStatus(`Refresh failed: ${caught.message}`);
}

const reloadKeys = setUpKeys(admin, onError);

/** The range the "Over time" charts show (the checked radio button). */
function historyRange() {
  return document.querySelector('#history-range input:checked')?.value ?? '15m';
}

async function refresh() {
  const [summary] = await Promise.all([admin('/dashboard/summary'), loadHistory(admin, historyRange())]);
  renderTraffic(summary);
  renderDeployments(summary);
  renderGuardrails(summary);
  renderRouting(summary);
  // Spend and replicas move slowly, keys change mostly from this page: refresh them less often.
  const slow = [];
  if (tick % 3 === 0) slow.push(loadSpend(admin), loadReplicas(admin));
  if (tick % 6 === 0) slow.push(reloadKeys());
  tick += 1;
  await Promise.all(slow);
  setStatus(`Updated ${new Date(summary.time).toLocaleTimeString()}`);
}

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(() => {
    refresh()
      .catch(onError)
      .finally(() => {
        if (session.key() !== null) schedule();
      });
  }, refreshMs);
}

async function start() {
  byId('sign-in').hidden = true;
  byId('panels').hidden = false;
  byId('nav').hidden = false;
  byId('sign-out').hidden = false;
  tick = 0;
  await refresh();
  schedule();
}

byId('sign-in-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const key = byId('admin-key').value.trim();
  admin('/dashboard/summary', { key })
    .then(() => {
      session.signIn(key);
      byId('admin-key').value = '';
      return start();
    })
    .catch((caught) => {
      const message =
        caught instanceof AdminError && caught.status === 401
          ? 'That admin key was refused.'
          : caught instanceof AdminError && caught.status === 404
            ? 'The admin API is off: set server.admin_key in the gateway configuration.'
            : `Sign-in failed: ${caught.message}`;
      showSignIn(message);
    });
});

byId('sign-out').addEventListener('click', () => showSignIn());

byId('history-range').addEventListener('change', () => {
  loadHistory(admin, historyRange()).catch(onError);
});

window.addEventListener('DOMContentLoaded', () => {
  if (session.key() === null) showSignIn();
  else start().catch(onError);
});
