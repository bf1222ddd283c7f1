// keycloak-dane's console page (DaneConsoleResource): signs the admin in at this realm's public client with the
// authorization code flow and PKCE (RFC 7636), keeps the access token in memory only, and shows what
// /admin/realms/{realm}/dane/identities and .../diagnose answer. Everything from the server is written as text,
// never as HTML: names, DNS data and certificate details come from outside.
'use strict';

(function () {
  const body = document.body;
  const loginRealm = body.dataset.realm;
  const clientId = body.dataset.client;
  // the page is served at CONTEXT/realms/REALM/dane-console/: the context path is whatever comes before /realms/
  const pagePath = location.pathname;
  const context = pagePath.substring(0, pagePath.lastIndexOf('/realms/'));
  const redirectUri = location.origin + pagePath;
  const oidc = location.origin + context + '/realms/' + encodeURIComponent(loginRealm) + '/protocol/openid-connect';
  const STORE = 'dane-console-login';

  let targetRealm = new URLSearchParams(location.search).get('realm') || loginRealm;
  let token = null;
  let justSignedIn = false;
  let identities = null;

  const $ = (id) => document.getElementById(id);

  function status(text, isError) {
    const p = $('status');
    p.textContent = text;
    p.className = isError ? 'error' : '';
    p.hidden = !text;
  }

  function base64url(bytes) {
    let s = '';
    bytes.forEach((b) => { s += String.fromCharCode(b); });
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function randomString() {
    return base64url(crypto.getRandomValues(new Uint8Array(32)));
  }

  // the authorization request; what the admin was doing survives the round trip in sessionStorage
  async function signIn() {
    const verifier = randomString();
    const state = randomString();
    const challenge = base64url(new Uint8Array(
      await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
    sessionStorage.setItem(STORE, JSON.stringify({ state, verifier, realm: targetRealm, name: $('name').value }));
    const query = new URLSearchParams({
      client_id: clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid', state,
      code_challenge: challenge, code_challenge_method: 'S256',
    });
    location.assign(oidc + '/auth?' + query);
  }

  async function finishSignIn(params) {
    const saved = JSON.parse(sessionStorage.getItem(STORE) || 'null');
    sessionStorage.removeItem(STORE);
    if (params.has('error')) {
      throw new Error('sign-in failed: ' + params.get('error') + ' ' + (params.get('error_description') || ''));
    }
    if (!saved || saved.state !== params.get('state')) {
      throw new Error('sign-in answer without a matching request (state); reload the page');
    }
    const response = await fetch(oidc + '/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code', code: params.get('code'), redirect_uri: redirectUri,
        client_id: clientId, code_verifier: saved.verifier,
      }),
    });
    const answer = await response.json();
    if (!response.ok) {
      throw new Error('the token request failed: ' + (answer.error_description || answer.error || response.status));
    }
    token = answer.access_token;
    justSignedIn = true;
    targetRealm = saved.realm || loginRealm;
    $('name').value = saved.name || '';
    history.replaceState(null, '', redirectUri + (targetRealm === loginRealm ? ''
      : '?realm=' + encodeURIComponent(targetRealm)));
    const claims = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    $('who').textContent = 'signed in as ' + (claims.preferred_username || claims.sub);
  }

  // GET or POST on the admin resource; a 401 (the token expired) signs in again, once
  async function admin(path, init) {
    const request = Object.assign({}, init || {});
    request.headers = Object.assign({ Authorization: 'Bearer ' + token }, request.headers || {});
    const response = await fetch(location.origin + context + '/admin/realms/' + encodeURIComponent(targetRealm)
      + '/dane/' + path, request);
    if (response.status === 401 && !justSignedIn) {
      await signIn();
      return new Promise(() => {});
    }
    if (response.status === 403) {
      throw new Error('HTTP 403: this account may not see the DANE identities of realm ' + targetRealm
        + ' (it needs realm-management view-clients there, or an admin role of master)');
    }
    justSignedIn = false;
    const text = await response.text();
    if (!response.ok) {
      throw new Error('HTTP ' + response.status + ': ' + text);
    }
    return JSON.parse(text);
  }

  function cell(row, content) {
    const td = document.createElement('td');
    if (content instanceof Node) {
      td.appendChild(content);
    } else {
      td.textContent = content === undefined || content === null ? '' : String(content);
    }
    row.appendChild(td);
    return td;
  }

  function nameButton(name) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'name';
    b.textContent = name;
    b.addEventListener('click', () => {
      $('name').value = name;
      diagnose();
    });
    return b;
  }

  async function loadIdentities() {
    identities = await admin('identities');
    const clients = $('clients').tBodies[0];
    clients.replaceChildren();
    identities.clients.forEach((c) => {
      const row = clients.insertRow();
      row.dataset.clientId = c.clientId;
      cell(row, c.clientId);
      cell(row, c.name);
      cell(row, nameButton(c.dane));
      cell(row, c.authenticator);
      cell(row, c.enabled ? 'yes' : 'no');
    });
    $('clients-note').textContent = (identities.clients.length === 0 ? 'No client carries dane.clientid. ' : '')
      + (identities.clientsCut ? 'Only the first ' + identities.clients.length + ' are listed.' : '');
    const users = $('users').tBodies[0];
    users.replaceChildren();
    (identities.users || []).forEach((u) => {
      const row = users.insertRow();
      row.dataset.username = u.username;
      cell(row, u.username);
      const names = cell(row, '');
      u.dane.forEach((n, i) => {
        if (i > 0) names.appendChild(document.createTextNode(' '));
        names.appendChild(nameButton(n));
      });
      cell(row, u.enabled ? 'yes' : 'no');
    });
    $('users-note').textContent = identities.usersHidden
      ? 'Users are not listed: ' + identities.usersHidden + '.'
      : 'Users carrying a name in ' + identities.userAttributes.join(', ')
        + (identities.usersCut ? '; the list is cut, diagnose other names by typing them.' : '.');
    const select = $('execution');
    identities.executions.forEach((e) => {
      const option = document.createElement('option');
      option.value = e.id;
      option.textContent = 'auth-dane in ' + e.flow + (e.alias ? ' (' + e.alias + ')' : '');
      select.appendChild(option);
    });
    $('identities').hidden = false;
    $('diagnose-section').hidden = false;
  }

  function carriers(ids, list, label) {
    return ids.map((id) => {
      const known = (list || []).find((x) => x.id === id);
      return known ? known[label] : id;
    }).join(', ');
  }

  // the one-line answer: what a login with this name (and certificate) would meet first
  function verdict(d) {
    if (d.nameError) return { ok: false, text: 'Invalid name: ' + d.nameError };
    const lookup = d.lookup || {};
    if (lookup.fromCache) return { ok: false, text: lookup.dnssec + ' (cached): ' + lookup.reason };
    if (!lookup.performed) return { ok: false, text: 'Refused before any DNS query: ' + lookup.why };
    if (d.match) {
      return d.match.authenticated
        ? { ok: true, text: lookup.dnssec + ', match ' + d.match.record + ' at depth ' + d.match.depth }
        : { ok: false, text: lookup.dnssec + ', no match: ' + d.match.reason + (d.match.detail ? ' (' + d.match.detail + ')' : '') };
    }
    if (lookup.dnssec !== 'SECURE') return { ok: false, text: lookup.dnssec + ': ' + lookup.reason };
    return { ok: true, text: 'SECURE, ' + lookup.usable.length + ' usable record(s); add a certificate to try a match' };
  }

  function show(d) {
    $('result-name').textContent = d.name || d.input;
    const v = verdict(d);
    $('verdict').textContent = v.text;
    $('verdict').className = v.ok ? 'ok' : 'fail';
    const steps = $('steps').tBodies[0];
    steps.replaceChildren();
    const step = (label, value) => {
      if (value === undefined) return;
      const row = steps.insertRow();
      const th = document.createElement('th');
      th.textContent = label;
      row.appendChild(th);
      cell(row, value);
    };
    step('Name', d.nameError ? 'does not parse: ' + d.nameError : d.name);
    if (d.allowList) {
      step('Server allow list', (d.allowList.server ? 'admits it' : 'does not admit it') + ' ' + d.allowList.serverList);
      if (d.allowList.execution !== undefined) {
        step('Execution allow list', (d.allowList.execution ? 'admits it' : 'does not admit it') + ' '
          + d.allowList.executionList);
      }
    }
    if (d.execution && d.execution.problem) step('Execution settings', 'invalid: ' + d.execution.problem);
    if (d.clients) {
      step('Clients carrying it', d.clients.length ? carriers(d.clients, identities && identities.clients, 'clientId')
        : 'none (a login with it is refused before any DNS query)');
    }
    if (d.users) step('Users carrying it', d.users.length ? carriers(d.users, identities && identities.users, 'username') : 'none');
    if (d.usersHidden) step('Users carrying it', d.usersHidden);
    if (d.cache) {
      step('Cache', d.cache.shown === false ? 'not shown: ' + d.cache.why
        : d.cache.cached ? d.cache.dnssec + ' until ' + d.cache.until : 'not cached');
    }
    if (d.lookup) {
      if (d.lookup.performed || d.lookup.fromCache) {
        if (d.lookup.fromCache) step('DNS lookup', 'not made: ' + d.lookup.why);
        step('DNSSEC', d.lookup.dnssec + ': ' + d.lookup.reason);
        step('Usable TLSA records', d.lookup.usable.join('\n') || 'none');
        step('Unusable TLSA records', d.lookup.unusable.join('\n') || 'none');
      } else {
        step('DNS lookup', 'not made: ' + d.lookup.why);
      }
    }
    if (d.domainUser) {
      // a domain's user name (_user.DOMAIN) with a person's certificate: which uid, which user
      step('Domain user', d.domainUser.valid ? d.domainUser.address + ' (uid ' + d.domainUser.uid + ')'
        : 'the certificate names no user of this domain: ' + d.domainUser.why);
      if (d.domainUser.users) {
        step('Users of that address', d.domainUser.ambiguous ? 'ambiguous: ' + d.domainUser.ambiguous
          : d.domainUser.users.length ? carriers(d.domainUser.users, identities && identities.users, 'username')
            : 'none (provisioned at the first sign-in where the execution provisions users)');
      }
      if (d.domainUser.usersHidden) step('Users of that address', d.domainUser.usersHidden);
    }
    if (d.match) {
      step('Match', d.match.authenticated ? d.match.record + ' at depth ' + d.match.depth
        : d.match.reason + (d.match.detail ? ': ' + d.match.detail : ''));
    }
    $('json').textContent = JSON.stringify(d, null, 2);
    $('result').hidden = false;
  }

  async function diagnose() {
    const name = $('name').value.trim();
    if (!name) return;
    const query = new URLSearchParams({ name });
    if ($('execution').value) query.set('execution', $('execution').value);
    const pem = $('pem').value.trim();
    // no answer on screen that is not this request's
    $('result').hidden = true;
    $('result-name').textContent = '';
    $('verdict').textContent = '';
    status('Asking DNS about ' + name + '…');
    try {
      const d = await admin('diagnose?' + query, pem
        ? { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: pem } : undefined);
      status('');
      show(d);
    } catch (e) {
      status(e.message, true);
    }
  }

  function setUp(problem) {
    $('setup-problem').textContent = problem;
    $('setup-client').textContent = clientId;
    $('setup-redirect').textContent = redirectUri + '*';
    $('setup').hidden = false;
    status('');
  }

  async function main() {
    $('realm-label').textContent = 'realm ' + targetRealm;
    $('admin-console').href = context + '/admin/' + encodeURIComponent(loginRealm) + '/console/#/'
      + encodeURIComponent(targetRealm);
    $('sign-out').href = oidc + '/logout?' + new URLSearchParams({ client_id: clientId, post_logout_redirect_uri: redirectUri });
    $('diagnose').addEventListener('submit', (e) => {
      e.preventDefault();
      diagnose();
    });
    if (body.dataset.problem) {
      setUp(body.dataset.problem);
      return;
    }
    const params = new URLSearchParams(location.search);
    if (!params.has('code') && !params.has('error')) {
      await signIn();
      return;
    }
    await finishSignIn(params);
    $('realm-label').textContent = 'realm ' + targetRealm;
    status('Loading the DANE identities of ' + targetRealm + '…');
    await loadIdentities();
    status('');
    if ($('name').value) await diagnose();
  }

  main().catch((e) => status(e.message, true));
}());
