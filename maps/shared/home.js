// The landing page shows whether the server and its database answer, in words.
import { api } from './api.js';
import { text } from './strings.js';

async function showHealth(element) {
  try {
    const state = await api('/health');
    element.textContent = text.health(state);
    element.className = 'status-ok';
  } catch (error) {
    element.textContent = error.message;
    element.className = 'status-bad';
  }
}

showHealth(document.getElementById('health'));
