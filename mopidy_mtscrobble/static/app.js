// The Mopidy-MTScrobble page: reads the JSON API and posts to it.
// Every piece of metadata goes into the page as text (textContent), never as HTML.
"use strict";

const REFRESH_MS = 2000;
const RECENT_LIMIT = 20;
const MAX_TEXT_CHARS = 1024;
const $ = (id) => document.getElementById(id);
let lovedUri = null; // the track shown as playing: what Love and Unlove act on

// Names longer than anyone reads are cut (the API cuts them too).
function short(text) {
  const value = String(text ?? "");
  return value.length > MAX_TEXT_CHARS ? `${value.slice(0, MAX_TEXT_CHARS - 1)}…` : value;
}

function setText(id, text) {
  const node = $(id);
  node.textContent = short(text);
  node.hidden = !text;
}

function show(id, visible) {
  $(id).hidden = !visible;
}

function message(text) {
  setText("message", text);
}

async function call(method, path, body) {
  // Like Mopidy's JSON-RPC, the API wants this type on what makes it work.
  const options = { method, headers: { "Content-Type": "application/json" } };
  if (method === "POST" || method === "PUT") {
    options.body = JSON.stringify(body || {});
  }
  const answer = await fetch(path, options);
  let data = {};
  try {
    data = await answer.json();
  } catch (error) {
    data = { error: `HTTP ${answer.status}` };
  }
  if (!answer.ok) {
    const error = new Error(data.error || `HTTP ${answer.status}`);
    error.status = answer.status;
    throw error;
  }
  return data;
}

function when(seconds) {
  return new Date(seconds * 1000).toLocaleString();
}

function songs(count) {
  return `${count} song${count === 1 ? "" : "s"}`;
}

function importText(label, job, counts) {
  if (!job) {
    return `${label}: not imported yet.`;
  }
  if (job.state === "running") {
    return job.pages === null
      ? `${label}: starting…`
      : `${label}: importing page ${job.page} of ${job.pages} (${job.fetched} of ${songs(job.total)})…`;
  }
  if (job.state === "matching") {
    return `${label}: ${songs(job.fetched)} imported, matching them to your library…`;
  }
  if (job.state === "failed") {
    return `${label}: the import failed: ${job.error}`;
  }
  return `${label}: ${songs(counts.total)}, ${counts.matched} in your library, ${counts.missing} not found.`;
}

// The past scrobbles' import: matched counts the plays added, not_found the
// plays the history had already.
function historyImportText(job) {
  const label = "Past scrobbles";
  if (!job) {
    return `${label}: not imported yet.`;
  }
  if (job.state === "running") {
    return job.pages === null
      ? `${label}: starting…`
      : `${label}: importing page ${job.page} of ${job.pages} (${job.fetched} of ${job.total}, ${job.matched} added)…`;
  }
  if (job.state === "failed") {
    return `${label}: the import stopped: ${job.error} (${job.matched} added; import again to go on).`;
  }
  return `${label}: ${job.fetched} imported, ${job.matched} added to your history, ${job.not_found} there already.`;
}

// One line per destination (when there are several, or Last.fm is off).
function renderDestinations(destinations) {
  const list = $("destinations");
  const several = destinations.length > 1 || destinations.some((d) => d.kind !== "lastfm");
  list.replaceChildren(
    ...destinations.map((d) => {
      const item = document.createElement("li");
      const c = d.counts;
      const error = d.last_error ? ` Last error: ${d.last_error}` : "";
      item.textContent = short(
        `${d.server}: ${d.message}; ${c.pending} pending, ${c.in_flight} in flight, ` +
          `${c.rejected} rejected, ${c.sent_last_24h} sent in the last 24 h.${error}`
      );
      return item;
    })
  );
  list.hidden = !several;
}

function renderStatus(status) {
  const connection = status.connection;
  setText(
    "connection",
    connection.username
      ? `${connection.state} as ${connection.username}`
      : connection.state
  );
  setText("network", `(${status.network})`);
  setText("last-error", status.last_error ? `Last error: ${status.last_error}` : "");
  setText("next-retry", status.next_retry_at ? `Next retry: ${when(status.next_retry_at)}` : "");
  show("connect", !connection.connected);
  show("logout", connection.connected);

  const queue = status.queue;
  setText(
    "queue",
    `${queue.pending} pending, ${queue.in_flight} in flight, ${queue.rejected} rejected, ` +
      `${queue.sent_last_24h} sent in the last 24 h`
  );

  renderDestinations(status.destinations || []);

  const importing = status.imports;
  setText("loved-import", importText("Loved tracks", importing.loved, status.loved));
  setText("playcounts-import", importText("Play counts", importing.playcounts, status.playcounts));
  $("import-loved").disabled = importing.loved && importing.loved.state === "running";
  $("sync-playcounts").disabled =
    importing.playcounts && importing.playcounts.state === "running";
  setText("history-import", historyImportText(importing.history));
  $("import-history").disabled = importing.history && importing.history.state === "running";

  renderListening(status.listening);
  setText("loved-sync", lovedSyncText(status.loved_sync));
}

// The two-way sync of loved tracks (mtscrobble/loved_sync_interval).
function lovedSyncText(sync) {
  if (!sync || !sync.interval_minutes) {
    return (
      "Two-way sync: off (loved tracks are imported once and on demand; " +
      "set mtscrobble/loved_sync_interval to keep them in sync)."
    );
  }
  const last = sync.last_check_at ? `last ${when(sync.last_check_at)}` : "not yet";
  const whole = sync.last_full_at ? ` (whole list ${when(sync.last_full_at)})` : "";
  const next = sync.next_check_at ? `, next ${when(sync.next_check_at)}` : "";
  return `Two-way sync: every ${sync.interval_minutes} minutes; ${last}${whole}${next}.`;
}

function renderListening(play) {
  if (!play) {
    setText("listening", "Nothing is playing.");
    show("listened", false);
    setText("listened-text", "");
    show("love", false);
    show("unlove", false);
    lovedUri = null;
    return;
  }
  setText("listening", `${play.artist || "?"} – ${play.title || "?"}`);
  if (play.needed_s === null) {
    show("listened", false);
    setText("listened-text", `Not scrobbled: ${play.ineligible}`);
  } else if (play.private && !play.qualified) {
    show("listened", false);
    setText("listened-text", `Not scrobbled: private mode (${play.private})`);
  } else {
    const bar = $("listened");
    bar.max = play.needed_s;
    bar.value = Math.min(play.listened_s, play.needed_s);
    show("listened", true);
    setText(
      "listened-text",
      play.qualified
        ? `Scrobbled: heard ${play.listened_s} s of the ${play.needed_s} s needed.`
        : `Heard ${play.listened_s} s of the ${play.needed_s} s needed${play.paused ? " (paused)" : ""}.`
    );
  }
  refreshLoved(play.uri);
}

async function refreshLoved(uri) {
  if (uri === lovedUri) {
    return;
  }
  lovedUri = uri;
  try {
    const track = await call("GET", `api/track?uri=${encodeURIComponent(uri)}`);
    show("love", !track.loved);
    show("unlove", track.loved);
  } catch (error) {
    show("love", false);
    show("unlove", false);
  }
}

function renderRecent(scrobbles) {
  const list = $("recent");
  const items = scrobbles.map((entry) => {
    const item = document.createElement("li");
    const name = document.createElement("span");
    name.textContent = short(`${entry.artist} – ${entry.track}`);
    const state = document.createElement("span");
    state.className = `state state-${entry.state}`;
    state.textContent = entry.state;
    const details = document.createElement("span");
    details.className = "muted";
    details.textContent = short(` ${when(entry.timestamp)}${entry.reason ? ` (${entry.reason})` : ""}`);
    item.append(name, state, details, editButton(entry));
    item.dataset.state = entry.state;
    return item;
  });
  list.replaceChildren(...items);
  if (!items.length) {
    const empty = document.createElement("li");
    empty.textContent = "No scrobbles yet.";
    list.replaceChildren(empty);
  }
}

async function refresh() {
  try {
    renderStatus(await call("GET", "api/status"));
    renderRecent((await call("GET", `api/recent?limit=${RECENT_LIMIT}`)).scrobbles);
  } catch (error) {
    message(error.message);
  }
}

function button(id, action) {
  $(id).addEventListener("click", async () => {
    $(id).disabled = true;
    try {
      message(await action());
    } catch (error) {
      message(error.message);
    } finally {
      $(id).disabled = false;
      refresh();
    }
  });
}

button("retry", async () => {
  await call("POST", "api/retry");
  return "Sending the queue now.";
});
button("import-loved", async () => {
  await call("POST", "api/import-loved");
  return "Importing your loved tracks…";
});
button("sync-playcounts", async () => {
  await call("POST", "api/sync-playcounts");
  return "Syncing your play counts…";
});
button("import-history", async () => {
  await call("POST", "api/import-history");
  return "Importing your past scrobbles…";
});
// Love and unlove act on the track the page shows, not on whatever plays by
// the time the click arrives.
button("love", async () => {
  const result = await call("POST", "api/love", { uri: lovedUri });
  lovedUri = null;
  return `Loved ${result.artist} – ${result.track}.`;
});
button("unlove", async () => {
  const result = await call("POST", "api/unlove", { uri: lovedUri });
  lovedUri = null;
  return `Unloved ${result.artist} – ${result.track}.`;
});
button("logout", async () => {
  await call("POST", "api/logout");
  return "Logged out. Queued scrobbles stay until the next login.";
});
button("connect", async () => {
  const answer = await call("POST", "api/login");
  window.location.assign(answer.url);
  return "Opening the authorization page…";
});

// Saved corrections: listed, edited and deleted here, and made from an entry
// of the recent scrobbles (Edit, with "remember for next time").
const CORRECTION_NAMES = ["artist", "track", "album"];
let editedCorrection = null; // the id the form changes, or null: a new one
let editedEntry = null; // the scrobble the form was opened on, or null

function smallButton(text, action) {
  const node = document.createElement("button");
  node.type = "button";
  node.className = "small";
  node.textContent = text;
  node.addEventListener("click", action);
  return node;
}

function describeNames(values) {
  return CORRECTION_NAMES.filter((n) => values[n] !== null && values[n] !== undefined)
    .map((n) => `${n} “${values[n]}”`)
    .join(", ");
}

function renderCorrections(corrections) {
  const items = corrections.map((found) => {
    const item = document.createElement("li");
    const text = document.createElement("span");
    const matched = describeNames({
      artist: found.match_artist, track: found.match_track, album: found.match_album,
    });
    text.textContent = short(`${matched} → ${describeNames(found)}`);
    item.dataset.id = found.id;
    item.append(
      text,
      smallButton("Edit", () => openCorrectionForm(found, null)),
      smallButton("Delete", () => deleteCorrection(found)),
    );
    return item;
  });
  if (!items.length) {
    const empty = document.createElement("li");
    empty.textContent = "No corrections.";
    items.push(empty);
  }
  $("corrections").replaceChildren(...items);
}

async function refreshCorrections() {
  try {
    renderCorrections((await call("GET", "api/corrections")).corrections);
  } catch (error) {
    message(error.message);
  }
}

function editButton(entry) {
  return smallButton("Edit", () => openCorrectionForm(null, entry));
}

function openCorrectionForm(found, entry) {
  editedCorrection = found ? found.id : null;
  editedEntry = entry;
  for (const name of CORRECTION_NAMES) {
    const matched = found ? found[`match_${name}`] : entry ? entry[name] : null;
    const sent = found ? found[name] : entry ? entry[name] : null;
    $(`match-${name}`).value = matched ?? "";
    $(`to-${name}`).value = sent ?? "";
  }
  // From an entry: the names it is sent with, to change in "send it as".
  $("correction-legend").textContent = entry ? "This scrobble is" : "When a play is";
  show("correction-remember-label", Boolean(entry));
  $("correction-remember").checked = true;
  show("correction-form", true);
  $("to-artist").focus();
}

function closeCorrectionForm() {
  editedCorrection = null;
  editedEntry = null;
  show("correction-form", false);
}

function formValues() {
  const value = (id) => $(id).value.trim() || null;
  const values = {};
  for (const name of CORRECTION_NAMES) {
    values[`match_${name}`] = value(`match-${name}`);
    values[name] = value(`to-${name}`);
  }
  return values;
}

// From an entry, a correction matches the artist, and the track or album
// only when that is what changed; names left as they were stay unchanged.
function correctionFromEntry(values) {
  const changed = (name) => values[name] !== values[`match_${name}`];
  const correction = { match_artist: values.match_artist };
  for (const name of CORRECTION_NAMES) {
    correction[name] = changed(name) ? values[name] : null;
  }
  if (changed("track")) {
    correction.match_track = values.match_track;
  } else if (changed("album")) {
    correction.match_album = values.match_album;
  }
  return correction;
}

// The one-off edit of a queued entry (not remembered): the names in "send it
// as", for this play only; an empty album means none. A play sent already is
// refused (409) with the reason, shown as any error.
async function editQueuedEntryOnce(entry, values) {
  const body = { artist: values.artist ?? "", track: values.track ?? "", album: values.album ?? "" };
  const edited = await call("PUT", `api/queue/${entry.id}`, body);
  refreshQueue();
  return `Edited only this scrobble: sent as ${namesText(edited.sent)}.`;
}

async function saveCorrection() {
  const values = formValues();
  if (editedEntry && !$("correction-remember").checked) {
    return editQueuedEntryOnce(editedEntry, values);
  }
  if (editedEntry) {
    const body = { ...correctionFromEntry(values), apply_waiting: true };
    const answer = await call("POST", "api/corrections", body);
    return `Saved the correction; ${answer.applied} waiting scrobble(s) corrected.`;
  }
  if (editedCorrection !== null) {
    await call("PUT", `api/corrections/${editedCorrection}`, values);
    return "Changed the correction.";
  }
  await call("POST", "api/corrections", values);
  return "Saved the correction.";
}

async function deleteCorrection(found) {
  if (!window.confirm(`Delete the correction of ${found.match_artist}?`)) {
    return;
  }
  try {
    await call("DELETE", `api/corrections/${found.id}`);
    message("Deleted the correction.");
  } catch (error) {
    message(error.message);
  }
  refreshCorrections();
}

$("correction-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("correction-save").disabled = true;
  try {
    message(await saveCorrection());
    closeCorrectionForm();
  } catch (error) {
    message(error.message);
  } finally {
    $("correction-save").disabled = false;
    refreshCorrections();
    refresh();
  }
});
$("correction-cancel").addEventListener("click", closeCorrectionForm);
$("correction-new").addEventListener("click", () => openCorrectionForm(null, null));

// Private mode: a banner with its end while it is on, buttons to change it.
const PRIVATE_LABELS = { "30m": "30 min", "1h": "1 hour", today: "the end of the day", forever: "resumed" };

function renderPrivate(state) {
  setText("private-banner", state.active ? `Private mode: not scrobbling ${state.until_text}` : "");
  show("private-off", !state.active);
  show("private-resume", state.active);
  const label = PRIVATE_LABELS[state.default] || state.default;
  $("private-pause").textContent = state.default === "forever"
    ? "Pause scrobbling until resumed"
    : `Pause scrobbling for ${label}`;
}

async function refreshPrivate() {
  try {
    renderPrivate(await call("GET", "api/private"));
  } catch (error) {
    message(error.message);
  }
}

async function changePrivate(body) {
  const state = await call("POST", "api/private", body);
  renderPrivate(state);
  return state.active ? `Private mode: not scrobbling ${state.until_text}.` : "Scrobbling again.";
}

button("private-resume", () => changePrivate({ resume: true }));
button("private-pause", () => changePrivate({ pause: "" }));
button("private-skip", async () => {
  await call("POST", "api/private", { skip: true });
  return "This track will not be scrobbled; the next one will.";
});
for (const node of document.querySelectorAll("[data-pause]")) {
  node.addEventListener("click", async () => {
    try {
      message(await changePrivate({ pause: node.dataset.pause }));
    } catch (error) {
      message(error.message);
    }
  });
}

// The editable queue: the plays still waiting somewhere, a page at a time,
// each with its names (sent, and heard when they differ), its state at each
// destination, and Edit, Hold / Release and Delete.
const QUEUE_PAGE_SIZE = 10;
const QUEUE_NAMES = ["artist", "track", "album", "album_artist"];
const QUEUE_LABELS = { artist: "Artist", track: "Track", album: "Album", album_artist: "Album artist" };
let queueOffset = 0;
let queuePlays = [];
let queueForm = null; // the inline edit form open, { id, node }, or null

function namesText(names) {
  const album = names.album ? ` · ${names.album}` : "";
  const albumArtist =
    names.album_artist && names.album_artist !== names.artist ? ` (album by ${names.album_artist})` : "";
  return `${names.artist} – ${names.track}${album}${albumArtist}`;
}

// A button of an entry: the answer (or the error) goes to the message line,
// and the queue is read again.
function queueButton(text, action) {
  const node = smallButton(text, async () => {
    node.disabled = true;
    try {
      const said = await action();
      if (said) {
        message(said);
      }
    } catch (error) {
      message(error.message);
    } finally {
      node.disabled = false;
      refreshQueue();
      refresh();
    }
  });
  return node;
}

function queueEditForm(entry) {
  const form = document.createElement("form");
  form.className = "queue-edit";
  for (const name of QUEUE_NAMES) {
    const label = document.createElement("label");
    const input = document.createElement("input");
    input.name = name;
    input.maxLength = MAX_TEXT_CHARS;
    input.value = entry.sent[name] ?? "";
    input.placeholder = name.startsWith("album") ? "none" : "";
    label.append(`${QUEUE_LABELS[name]} `, input);
    form.append(label);
  }
  const save = document.createElement("button");
  save.type = "submit";
  save.className = "small";
  save.textContent = "Save";
  const cancel = smallButton("Cancel", () => {
    queueForm = null;
    renderQueue();
  });
  form.append(save, cancel);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = Object.fromEntries(QUEUE_NAMES.map((n) => [n, form.elements[n].value]));
    save.disabled = true;
    try {
      const edited = await call("PUT", `api/queue/${entry.id}`, body);
      queueForm = null;
      message(`Edited scrobble #${entry.id}: sent as ${namesText(edited.sent)}.`);
    } catch (error) {
      // What was typed stays to try again, unless the entry is gone.
      if (error.status === 404) {
        queueForm = null;
      }
      message(error.message);
    } finally {
      save.disabled = false;
      refreshQueue();
      refresh();
    }
  });
  return form;
}

function queueEntry(entry) {
  const item = document.createElement("li");
  item.dataset.id = entry.id;
  item.dataset.held = entry.held;
  const name = document.createElement("span");
  name.className = "names";
  name.textContent = short(namesText(entry.sent));
  item.append(name);
  if (entry.edited) {
    const heard = document.createElement("span");
    heard.className = "heard muted";
    heard.textContent = short(` heard as ${namesText(entry.heard)}`);
    item.append(heard);
  }
  const started = document.createElement("span");
  started.className = "muted";
  started.textContent = ` ${when(entry.timestamp)}`;
  item.append(started);
  if (entry.held) {
    const held = document.createElement("span");
    held.className = "held-mark";
    held.textContent = "held";
    item.append(held);
  }
  for (const [destination, state] of Object.entries(entry.destinations)) {
    const node = document.createElement("span");
    node.className = `state state-${state}`;
    node.dataset.destination = destination;
    node.textContent = short(`${destination}: ${state.replace("_", " ")}`);
    item.append(node);
  }
  item.append(
    smallButton("Edit", () => {
      queueForm = { id: entry.id, node: queueEditForm(entry) };
      renderQueue();
      queueForm.node.elements.artist.focus();
    }),
    entry.held
      ? queueButton("Release", async () => {
          await call("POST", `api/queue/${entry.id}/release`);
          return `Released scrobble #${entry.id}: it is sent again.`;
        })
      : queueButton("Hold", async () => {
          await call("POST", `api/queue/${entry.id}/hold`);
          return `Held scrobble #${entry.id}: it is kept, and sent nowhere until released.`;
        }),
    queueButton("Delete", async () => {
      if (!window.confirm(`Delete the scrobble ${short(namesText(entry.sent))}? It is gone for good.`)) {
        return null;
      }
      await call("DELETE", `api/queue/${entry.id}?confirm=1`);
      if (queueForm && queueForm.id === entry.id) {
        queueForm = null;
      }
      return `Deleted scrobble #${entry.id}.`;
    }),
  );
  // The form open on this entry moves with it, with what was typed.
  if (queueForm && queueForm.id === entry.id) {
    item.append(queueForm.node);
  }
  return item;
}

function renderQueue(total) {
  if (total !== undefined) {
    $("queue-range").dataset.total = total;
  }
  const count = Number($("queue-range").dataset.total || 0);
  $("queue-plays").start = queueOffset + 1;
  $("queue-plays").replaceChildren(...queuePlays.map(queueEntry));
  setText(
    "queue-range",
    count ? `${queueOffset + 1}–${queueOffset + queuePlays.length} of ${count}` : "Nothing waits to be sent."
  );
  show("queue-paging", count > QUEUE_PAGE_SIZE);
  $("queue-previous").disabled = queueOffset === 0;
  $("queue-next").disabled = queueOffset + QUEUE_PAGE_SIZE >= count;
}

async function refreshQueue() {
  try {
    const answer = await call("GET", `api/queue?limit=${QUEUE_PAGE_SIZE}&offset=${queueOffset}`);
    if (!answer.plays.length && queueOffset > 0 && answer.plays_total > 0) {
      // The last page emptied (sent or deleted): show the one before it.
      queueOffset = Math.floor((answer.plays_total - 1) / QUEUE_PAGE_SIZE) * QUEUE_PAGE_SIZE;
      return refreshQueue();
    }
    queuePlays = answer.plays;
    renderQueue(answer.plays_total);
  } catch (error) {
    message(error.message);
  }
}

function turnQueuePage(step) {
  queueOffset = Math.max(0, queueOffset + step * QUEUE_PAGE_SIZE);
  queueForm = null;
  refreshQueue();
}

$("queue-previous").addEventListener("click", () => turnQueuePage(-1));
$("queue-next").addEventListener("click", () => turnQueuePage(1));

refreshQueue();
// An open edit form is not redrawn under the user's typing.
setInterval(() => queueForm || refreshQueue(), REFRESH_MS);

refreshCorrections();
refresh();
refreshPrivate();
setInterval(refresh, REFRESH_MS);
setInterval(refreshPrivate, REFRESH_MS);
