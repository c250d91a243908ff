import { html } from 'lit';
import { live } from 'lit/directives/live.js';
import { TlElement, define } from '../base.js';
import { store } from '../store.js';
import * as api from '../api.js';
import { t } from '../i18n.js';
import { describe } from '../errors.js';
import { confirmDialog } from '../dialogs.js';

/** Agents: invite (a generated password, shown once), change the role, deactivate and reactivate. */
class TlSettingsAgents extends TlElement {
  static watchesStore = true;
  static properties = { invited: { state: true }, error: { state: true }, busy: { state: true } };

  connectedCallback() {
    super.connectedCallback();
    store.loadAgents();
  }

  render() {
    const { agents, me } = store.state;
    return html`
      <h2>${t('settings.agents')}</h2>
      <table class="table" data-testid="agents-table">
        <thead><tr><th scope="col">${t('agent.name')}</th><th scope="col">${t('agent.email')}</th>
          <th scope="col">${t('agent.role')}</th><th scope="col">${t('agent.status')}</th>
          <th scope="col"><span class="visually-hidden">${t('agent.actions')}</span></th></tr></thead>
        <tbody>${agents.map((a) => html`<tr data-testid="agent-row" data-agent-id=${a.id}>
          <td>${a.name}${a.id === me.agentId ? html` <span class="muted">(${t('agent.you')})</span>` : ''}</td>
          <td>${a.email}</td>
          <td><select aria-label=${t('agent.roleOf', { name: a.name })} ?disabled=${this.busy}
            data-testid="agent-role" .value=${live(a.role)}
            @change=${(e) => this.changeRole(a, e.target)}>
            <option value="agent" ?selected=${a.role === 'agent'}>${t('role.agent')}</option>
            <option value="admin" ?selected=${a.role === 'admin'}>${t('role.admin')}</option></select></td>
          <td>${a.active ? t('agent.active') : html`<span class="muted">${t('agent.inactive')}</span>`}</td>
          <td>${a.active && a.id !== me.agentId ? html`<button class="small" ?disabled=${this.busy}
              data-testid="agent-reset-password" @click=${() => this.resetPassword(a)}>${t('agent.resetPassword')}
              </button>` : ''}
            ${a.active ? html`<button class="small danger-text" ?disabled=${this.busy || a.id === me.agentId}
              data-testid="agent-deactivate" @click=${() => this.deactivate(a)}>${t('agent.deactivate')}</button>`
            : html`<button class="small" ?disabled=${this.busy} data-testid="agent-reactivate"
              @click=${() => this.saveAgent(a, { active: true })}>${t('agent.reactivate')}</button>`}</td>
        </tr>`)}</tbody>
      </table>
      <form class="card form-grid" @submit=${this.invite} data-testid="invite-form" novalidate>
        <h3>${t('agent.invite')}</h3>
        <label for="invite-name">${t('agent.name')}</label>
        <input id="invite-name" name="name" required maxlength="120" autocomplete="off">
        <label for="invite-email">${t('agent.email')}</label>
        <input id="invite-email" name="email" type="email" required maxlength="320" autocomplete="off">
        <label for="invite-role">${t('agent.role')}</label>
        <select id="invite-role" name="role"><option value="agent">${t('role.agent')}</option>
          <option value="admin">${t('role.admin')}</option></select>
        ${this.error ? html`<p class="form-error" role="alert">${this.error}</p>` : ''}
        <div class="form-buttons"><button class="primary" type="submit" ?disabled=${this.busy}
          data-testid="invite-submit">${t('agent.inviteSubmit')}</button></div>
      </form>
      ${this.invited ? html`<div class="card secret" role="status" data-testid="invite-result">
        <p>${t(this.invited.reset ? 'agent.passwordWasReset' : 'agent.invited',
          { name: this.invited.name, email: this.invited.email })}</p>
        <tl-copy-field label=${t('agent.password')} .value=${this.invited.password}
          data-testid="invite-password"></tl-copy-field>
        <p class="muted">${t('agent.passwordOnce')}</p></div>` : ''}`;
  }

  async invite(event) {
    event.preventDefault();
    const form = event.currentTarget;
    this.busy = true;
    this.error = null;
    try {
      const agent = await api.post('/api/v1/agents', { name: form.name.value.trim(), email: form.email.value.trim(),
        role: form.role.value });
      this.invited = agent;
      form.reset();
      await store.loadAgents();
    } catch (e) {
      this.error = describe(e);
    } finally {
      this.busy = false;
    }
  }

  async saveAgent(agent, patch) {
    this.busy = true;
    try {
      await api.patch(`/api/v1/agents/${agent.id}`, patch);
      store.notify('settings.saved');
    } catch (e) {
      store.notify(describe(e), 'error');
    } finally {
      this.busy = false;
      await store.loadAgents();
    }
  }

  /**
   * A role changes only once confirmed: a select changes on an arrow key in Chromium, so a keyboard user moving
   * through the table promoted or demoted whoever's row they passed. Cancelled, the select shows the role kept.
   * A change of one's own role renews what the page knows of it (the Settings link).
   */
  async changeRole(agent, select) {
    const role = select.value;
    if (!await confirmDialog(t('agent.roleConfirm', { name: agent.name, role: t(`role.${role}`) }),
      t('agent.changeRole'))) {
      select.value = agent.role;
      return;
    }
    await this.saveAgent(agent, { role });
    if (agent.id === store.state.me.agentId) await store.refreshMe();
  }

  /**
   * A new password for an agent who forgot theirs, made by the server and shown once (as an invitation's): their
   * sessions end, and they can change it from their own menu.
   */
  async resetPassword(agent) {
    if (!await confirmDialog(t('agent.resetConfirm', { name: agent.name }), t('agent.resetPassword'),
      { danger: true })) return;
    this.busy = true;
    try {
      const answer = await api.patch(`/api/v1/agents/${agent.id}`, { resetPassword: true });
      this.invited = { ...answer, reset: true };
      await this.updateComplete;
      this.querySelector('[data-testid=invite-result]')?.scrollIntoView({ block: 'nearest' });
    } catch (e) {
      store.notify(describe(e), 'error');
    } finally {
      this.busy = false;
    }
  }

  async deactivate(agent) {
    if (!await confirmDialog(t('agent.deactivateConfirm', { name: agent.name }), t('agent.deactivate'),
      { danger: true })) return;
    this.busy = true;
    try {
      await api.del(`/api/v1/agents/${agent.id}`);
      store.notify('settings.saved');
    } catch (e) {
      store.notify(describe(e), 'error');
    } finally {
      this.busy = false;
      await store.loadAgents();
    }
  }
}

define('tl-settings-agents', TlSettingsAgents);
