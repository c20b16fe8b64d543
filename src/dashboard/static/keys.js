/* global document, navigator, FormData */
// Keys: list, create (the key is shown once), revoke (after a confirmation).
import { badge, fill, format, h, table } from './render.js';

const byId = (id) => document.getElementById(id);

function statusBadge(key) {
  if (key.status === 'active') return badge('active', 'ok');
  return badge(key.status, key.status === 'revoked' ? 'bad' : 'warn');
}

/** Asks in the page's dialog; resolves true when the operator confirms. */
function confirmAction(text, confirmLabel) {
  const dialog = byId('confirm');
  byId('confirm-text').textContent = text;
  byId('confirm-ok').textContent = confirmLabel;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
  });
}

/** Wires the keys panel to the admin API; answers the function that reloads the list. */
export function setUpKeys(admin, onError) {
  const error = byId('key-error');

  async function revoke(key) {
    const label = `${key.prefix}… (${key.tenant}${key.name ? `, ${key.name}` : ''})`;
    if (!(await confirmAction(`Revoke key ${label}? Requests with it fail at once.`, 'Revoke'))) return;
    try {
      await admin(`/keys/${encodeURIComponent(key.id)}/revoke`, { method: 'POST' });
      error.textContent = '';
      await load();
    } catch (caught) {
      error.textContent = `Revoking failed: ${caught.message}`;
    }
  }

  async function load() {
    const [keys, tenants] = await Promise.all([admin('/keys'), admin('/tenants')]);
    const select = byId('key-tenant');
    const chosen = select.value;
    select.replaceChildren(...tenants.data.map((tenant) => h('option', { value: tenant.name }, tenant.name)));
    if (tenants.data.some((tenant) => tenant.name === chosen)) select.value = chosen;
    const rows = [...keys.data].sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
    fill(
      'keys-table',
      table(
        `${rows.length} stored key${rows.length === 1 ? '' : 's'} (keys written in the config file are not listed)`,
        [
          { label: 'Prefix', value: (k) => h('code', {}, `${k.prefix}…`) },
          { label: 'Tenant', value: (k) => k.tenant },
          { label: 'Name', value: (k) => k.name ?? '' },
          { label: 'Status', value: statusBadge },
          { label: 'Created', value: (k) => format.time(k.created_at) },
          { label: 'Expires', value: (k) => (k.expires_at ? format.time(k.expires_at) : 'never') },
          { label: 'Revoked', value: (k) => (k.revoked_at ? format.time(k.revoked_at) : '') },
          {
            label: 'Action',
            value: (k) =>
              k.status === 'revoked'
                ? ''
                : h(
                    'button',
                    {
                      type: 'button',
                      class: 'small danger',
                      'aria-label': `Revoke key ${k.prefix} of ${k.tenant}`,
                      onclick: () => void revoke(k),
                    },
                    'Revoke',
                  ),
          },
        ],
        rows,
        'No stored keys yet',
      ),
    );
  }

  byId('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const body = { tenant: String(data.get('tenant')) };
    const name = String(data.get('name') ?? '').trim();
    const expiresIn = String(data.get('expires_in') ?? '').trim();
    if (name !== '') body.name = name;
    if (expiresIn !== '') body.expires_in = expiresIn;
    admin('/keys', { method: 'POST', body })
      .then(async (created) => {
        error.textContent = '';
        byId('new-key-tenant').textContent = created.tenant;
        byId('new-key-value').textContent = created.key;
        byId('copy-key').textContent = 'Copy';
        byId('new-key').hidden = false;
        byId('copy-key').focus();
        form.reset();
        await load();
      })
      .catch((caught) => {
        error.textContent = `Creating the key failed: ${caught.message}`;
      });
  });

  byId('copy-key').addEventListener('click', () => {
    navigator.clipboard.writeText(byId('new-key-value').textContent).then(
      () => (byId('copy-key').textContent = 'Copied'),
      () => (byId('copy-key').textContent = 'Select and copy by hand'),
    );
  });

  byId('dismiss-key').addEventListener('click', () => {
    // The key leaves the page for good: it is shown once.
    byId('new-key-value').textContent = '';
    byId('new-key').hidden = true;
  });

  return () => load().catch(onError);
}
