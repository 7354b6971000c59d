"use strict";
// The page's script: served from the package as /page.js, so that the page's
// Content-Security-Policy allows no inline script or style.

const LEFT = 60, RIGHT = 16, TOP = 20, BOTTOM = 40;
const HALF_HOUR_MS = 30 * 60 * 1000, HOUR_MS = 3.6e6, DAY_MS = 24 * HOUR_MS;
// What a range is drawn from: half hours up to 35 days, daily buckets up to 3 years, monthly beyond.
const HALF_HOURS_MAX_DAYS = 35, DAYS_MAX_DAYS = 3 * 366;
const PEAKS = 5;  // the highest half hours listed beside the chart
const LOADING_DELAY_MS = 300;  // answers quicker than this show no loading indicator
const LOCAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/;  // "YYYY-MM-DDTHH:MM", as the fields make it
const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const paris = (options) => new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Paris", ...options });
const dayFormat = paris({ day: "2-digit", month: "short" });
const monthFormat = paris({ month: "short", year: "numeric" });
const yearFormat = paris({ year: "numeric" });
const timeFormat = paris({ hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
const instantFormat = paris({ day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
const partsFormat = paris({
  year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
});
const gw = (watts) => (watts / 1e9).toFixed(3) + " GW";
const INTERVAL_NAMES = { "half-hour": "half hours", day: "daily", month: "monthly" };

let stored = { first: null, last: null };  // the stored span, ISO 8601 with offsets
let view = null;  // what is drawn: {start, end (ms, end exclusive), interval, source, points | buckets, gaps, other}
let shown = null;  // the range of the fields: [startValue, endValue]
let comparing = "";  // the year whose same dates are drawn as a second curve, "" for none
let typical = null;  // the typical day drawn: {weekdays, weekends}, 48 means in W (null where none)
let scaleX = null, scaleY = null;
let inFlight = null;  // the AbortController of the request the page waits for
let drag = null;  // a zoom being dragged: {x0} in chart units
// The chart's viewBox is its size in CSS pixels (fitChart), so that its text is drawn at its own size.
let WIDTH = 960, HEIGHT = 420;

// --- Paris wall-clock time -------------------------------------------------

function parisParts(t) {
  const parts = {};
  for (const { type, value } of partsFormat.formatToParts(t)) parts[type] = value;
  return parts;
}

function parisOffset(t) {  // milliseconds to add to UTC to read Paris wall-clock time
  const p = parisParts(t);
  return Date.UTC(+p.year, p.month - 1, +p.day, +p.hour, +p.minute, +p.second) - Math.floor(t / 1000) * 1000;
}

// The instant of Paris midnight opening a calendar day; days and months past their end roll over.
function parisMidnight(year, month, day) {
  const utc = Date.UTC(year, month - 1, day);
  // Paris changes offset at 01:00 UTC, so the offset two hours before UTC midnight is that of Paris midnight.
  return utc - parisOffset(utc - 2 * HOUR_MS);
}

function parisLocal(t) {  // "YYYY-MM-DDTHH:MM", as the API reads it
  const p = parisParts(t);
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

function calendarDay(year, month, day) {  // "YYYY-MM-DD", rolling over like Date.UTC
  return new Date(Date.UTC(year, month - 1, day)).toISOString().slice(0, 10);
}

function bucketEnd(t, interval) {
  const p = parisParts(t);
  if (interval === "month") return parisMidnight(+p.year, +p.month + 1, 1);
  return parisMidnight(+p.year, +p.month, +p.day + 1);
}

// --- Views: the range is in the URL; each new view is a history entry ------

function query(startValue, endValue) {
  return "start=" + encodeURIComponent(startValue) + "&end=" + encodeURIComponent(endValue);
}

function normalised(value, isEnd) {  // a date alone means the whole day
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? value + (isEnd ? "T23:30" : "T00:00") : value;
}

function intervalFor(startValue, endValue) {
  const days = (Date.parse(endValue + "Z") - Date.parse(startValue + "Z")) / DAY_MS;
  if (!(days > HALF_HOURS_MAX_DAYS)) return "half-hour";
  return days > DAYS_MAX_DAYS ? "month" : "day";
}

function address(startValue, endValue) {  // the page's URL: the range, and the year compared with
  return "?" + query(startValue, endValue) + (comparing ? "&compare=" + comparing : "");
}

function go(startValue, endValue) {
  const depth = ((history.state && history.state.depth) || 0) + 1;
  history.pushState({ depth }, "", address(startValue, endValue));
  show(startValue, endValue);
}

function fromLocation() {
  const params = new URLSearchParams(location.search);
  comparing = /^\d{4}$/.test(params.get("compare") || "") ? params.get("compare") : "";
  $("compare").value = comparing;
  if (params.get("start") && params.get("end")) {
    show(normalised(params.get("start"), false), normalised(params.get("end"), true));
    return true;
  }
  return false;
}

function preset(name) {
  if (!stored.last) return;
  if (name === "everything") return go(parisLocal(Date.parse(stored.first)), parisLocal(Date.parse(stored.last)));
  // A preset ends with the last day shown (the last stored day when the view ends later).
  const lastDay = stored.last.slice(0, 10);
  const shownDay = $("end-date").value || lastDay;
  const [y, m, d] = (shownDay < lastDay ? shownDay : lastDay).split("-").map(Number);
  const daysIn = (year, month) => new Date(Date.UTC(year, month, 0)).getUTCDate();
  const first = {
    day: () => calendarDay(y, m, d),
    week: () => calendarDay(y, m, d - 6),
    month: () => calendarDay(y, m - 1, Math.min(d, daysIn(y, m - 1)) + 1),
    year: () => calendarDay(y - 1, m, Math.min(d, daysIn(y - 1, m)) + 1),
  }[name]();
  go(first + "T00:00", calendarDay(y, m, d) + "T23:30");
}

// --- Fetching: half hours, or the server's buckets; and the gaps -------------

async function getJson(path, params, signal) {
  const response = await fetch(path + "?" + params, { headers: { Accept: "application/json" }, signal });
  let body;
  try {
    body = await response.json();
  } catch {
    body = { error: "HTTP " + response.status + ": the answer is not JSON" };
  }
  if (body && body.stored) noteStored(body.stored);
  return { ok: response.ok, status: response.status, body };
}

function rangeOf(body) {  // [start, end) in ms: the end is the start of the half hour after the last
  return [Date.parse(body.start), Math.floor(Date.parse(body.end) / HALF_HOUR_MS) * HALF_HOUR_MS + HALF_HOUR_MS];
}

async function fetchView(startValue, endValue, interval, signal) {
  const range = query(startValue, endValue);
  const { ok, status, body } = await getJson("/consumption", interval === "half-hour" ? range : range + "&interval=" + interval, signal);
  if (!ok) return { error: body.error || "HTTP " + status };
  const [start, end] = rangeOf(body);
  if (interval !== "half-hour") return { start, end, interval, source: "server", buckets: serverBuckets(body, interval, end) };
  const points = body.data.map((p) => ({ t: Date.parse(p.timestamp), w: p.consumption_w, nature: p.nature, stamp: p.timestamp }));
  return { start, end, interval, source: "half hours", points };
}

// The runs of missing half hours, [t, end) in ms each; none when the server cannot say.
async function fetchGaps(startValue, endValue, signal) {
  const { ok, body } = await getJson("/consumption/gaps", query(startValue, endValue), signal);
  if (!ok) return [];
  return body.data.map((run) => ({
    t: Date.parse(run.first), end: Date.parse(run.last) + HALF_HOUR_MS, first: run.first, last: run.last, halfHours: run.half_hours,
  }));
}

function serverBuckets(body, interval, end) {
  return body.data.map((b) => {
    const t = Date.parse(b.timestamp);
    return {
      t, end: Math.min(bucketEnd(t, interval), end), stamp: b.timestamp,
      mean: b.mean_w, min: b.min_w, max: b.max_w, energy: b.energy_wh, count: b.count, expected: b.expected,
      maxStamp: b.max_at,
    };
  });
}

// --- Showing a view ----------------------------------------------------------

function noteStored(span) {
  stored = { first: span.first || null, last: span.last || null };
  const node = $("stored");
  node.dataset.first = stored.first || "";
  node.dataset.last = stored.last || "";
  node.textContent = stored.last
    ? "Stored: " + instantFormat.format(Date.parse(stored.first)) + " to " + instantFormat.format(Date.parse(stored.last)) + " (Paris time)."
    : "Nothing stored yet.";
  node.hidden = false;
}

function setLoading(loading) {
  $("loading").hidden = !loading;
  $("chart").classList.toggle("loading", loading);
}

function fieldsRange() {
  return [$("start-date").value + "T" + $("start-time").value, $("end-date").value + "T" + $("end-time").value];
}

// Said beside the fields, without asking the service.
function rangeProblem(startValue, endValue) {
  const problem = LOCAL.test(startValue) && LOCAL.test(endValue) && startValue > endValue ? "From is after To" : "";
  $("range-error").textContent = problem;
  $("range-error").hidden = !problem;
  return problem;
}

async function show(startValue, endValue) {
  shown = [startValue, endValue];
  for (const [field, value] of [["start", startValue], ["end", endValue]]) {
    $(field + "-date").value = value.slice(0, 10);
    $(field + "-time").value = value.slice(11, 16);
  }
  $("csv").href = "/consumption?" + query(startValue, endValue) + "&format=csv";
  $("back").disabled = !(history.state && history.state.depth > 0);
  $("error").hidden = true;
  if (rangeProblem(startValue, endValue)) {
    view = null;
    hidePanels();
    return clearChart();
  }
  if (inFlight) inFlight.abort();
  const controller = (inFlight = new AbortController());
  const timer = setTimeout(() => setLoading(true), LOADING_DELAY_MS);
  const interval = intervalFor(startValue, endValue);
  const panels = fetchPanels(startValue, endValue, controller.signal);
  try {
    const [answer, gaps, other] = await Promise.all([
      fetchView(startValue, endValue, interval, controller.signal),
      fetchGaps(startValue, endValue, controller.signal),
      fetchOther(startValue, endValue, interval, controller.signal),
    ]);
    if (answer.error) fail(answer.error);
    else if (!render({ ...answer, gaps, other })) {
      hidePanels();
      await sayNoData(answer.start, answer.end - HALF_HOUR_MS, controller.signal);
    } else {
      sayOther(other);
      const answers = await panels;
      if (!controller.signal.aborted) showPanels(answers);
    }
  } catch (error) {
    if (error.name !== "AbortError") fail("The service did not answer: " + error.message);
  } finally {
    clearTimeout(timer);
    if (controller === inFlight) {
      inFlight = null;
      setLoading(false);
    }
  }
}

function showError(message, offerStored) {
  $("error-text").textContent = message;
  $("show-stored").hidden = !offerStored;
  $("error").hidden = false;
}

function fail(message) {
  view = null;
  clearChart();
  hidePanels();
  showError(message, false);
}

function clearChart() {
  $("x-axis").replaceChildren();
  $("y-axis").replaceChildren();
  $("curve").setAttribute("d", "");
  $("other").setAttribute("d", "");
  $("band").setAttribute("d", "");
  $("gaps").replaceChildren();
  $("cursor").setAttribute("visibility", "hidden");
  $("readout").textContent = "";
  const chart = $("chart");
  chart.dataset.count = "0";
  chart.dataset.points = "0";
  chart.dataset.interval = "";
  chart.dataset.source = "";
  chart.dataset.gaps = "0";
  $("stats").hidden = true;
}

// The peak is the earliest half hour of the maximum: points and buckets come in time order.
function statistics(v) {
  let min = Infinity, max = -Infinity, sum = 0, count = 0, peakStamp = null;
  if (v.points) {
    for (const p of v.points) {
      min = Math.min(min, p.w); sum += p.w;
      if (p.w > max) { max = p.w; peakStamp = p.stamp; }
    }
    count = v.points.length;
  } else {
    for (const b of v.buckets) {
      if (!b.count) continue;
      min = Math.min(min, b.min); sum += 2 * b.energy; count += b.count;
      if (b.max > max) { max = b.max; peakStamp = b.maxStamp; }
    }
  }
  return { min, max, mean: sum / count, count, peakStamp };
}

function fitChart() {
  const chart = $("chart");
  WIDTH = chart.clientWidth || 960;
  HEIGHT = Math.round(Math.min(420, Math.max(260, WIDTH * 0.45)));
  chart.setAttribute("viewBox", `0 0 ${WIDTH} ${HEIGHT}`);
  chart.querySelector("#cursor line").setAttribute("y2", HEIGHT - BOTTOM);
  $("selection").setAttribute("height", HEIGHT - TOP - BOTTOM);
}

function render(v) {
  clearChart();
  fitChart();
  const stats = statistics(v);
  const chart = $("chart");
  chart.dataset.count = String(stats.count);
  chart.dataset.interval = v.interval;
  chart.dataset.source = v.source;
  if (!stats.count) {
    view = null;
    return false;
  }
  view = v;
  $("stats").hidden = false;
  $("count").textContent = stats.count.toLocaleString("en");
  $("min").textContent = gw(stats.min);
  $("mean").textContent = gw(stats.mean);
  $("max").textContent = gw(stats.max);
  $("peak-at").dataset.at = stats.peakStamp;
  $("peak-at").textContent = instantFormat.format(Date.parse(stats.peakStamp));
  $("drawn-as").textContent = v.points ? "half hours" : INTERVAL_NAMES[v.interval] + " min, mean, max";
  $("readout").textContent = "Point at the curve to read a value; drag across it to zoom in.";

  const span = Math.max(v.end - v.start, HALF_HOUR_MS);
  scaleX = (t) => LEFT + ((t - v.start) / span) * (WIDTH - LEFT - RIGHT);
  const values = v.other ? v.other.items.map((item) => item.w) : [];
  const least = Math.min(stats.min, ...values), most = Math.max(stats.max, ...values);
  const pad = Math.max((most - least) * 0.08, 1e8);
  const low = least - pad, high = most + pad;
  scaleY = (w) => TOP + ((high - w) / (high - low)) * (HEIGHT - TOP - BOTTOM);
  drawAxes(v.start, v.end, low, high);
  drawGaps(v.gaps, v.start, v.end);
  if (v.other) drawOther(v.other);
  if (v.points) drawHalfHours(v.points);
  else drawBuckets(v.buckets);
  return true;
}

// An empty range: the stored half hours nearest before and after it, from the run of missing
// half hours that holds it when it lies inside the stored span.
async function sayNoData(first, last, signal) {
  const range = "No data from " + instantFormat.format(first) + " to " + instantFormat.format(last) + ".";
  if (!stored.last) return showError(range + " Nothing is stored yet: import or fetch RTE's files first.", false);
  let before = Date.parse(stored.last), after = Date.parse(stored.first);
  if (first < after) before = null;
  else if (last > before) after = null;
  else {
    const run = (await fetchGaps(stored.first, stored.last, signal)).find((g) => g.t <= last && first < g.end);
    if (!run) return showError(range, true);
    [before, after] = [run.t - HALF_HOUR_MS, run.end];
  }
  const at = (t) => instantFormat.format(t);
  const nearest = before === null ? "Nothing is stored before it; the nearest stored half hour after it is " + at(after)
    : after === null ? "Nothing is stored after it; the nearest stored half hour before it is " + at(before)
      : "The nearest stored half hours are " + at(before) + " before it and " + at(after) + " after it";
  showError(range + " " + nearest + ".", true);
}

function drawHalfHours(points) {
  const drawn = decimate(points, scaleX);
  $("curve").setAttribute("d", drawn.map(([p, gap], i) => (i === 0 || gap ? "M" : "L") + xy(p.t, p.w)).join(""));
  $("chart").dataset.points = String(drawn.length);
}

// Each bucket is a step as wide as its time: the mean as a line, min to max as a band; no data is a gap.
function drawBuckets(buckets) {
  let curve = "", band = "", run = [], drawn = 0;
  const flush = () => {
    if (!run.length) return;
    curve += run.map((b, i) => (i === 0 ? "M" : "L") + xy(b.t, b.mean) + "L" + xy(b.end, b.mean)).join("");
    const top = run.map((b) => "L" + xy(b.t, b.max) + "L" + xy(b.end, b.max)).join("");
    const bottom = run.slice().reverse().map((b) => "L" + xy(b.end, b.min) + "L" + xy(b.t, b.min)).join("");
    band += "M" + top.slice(1) + bottom + "Z";
    run = [];
  };
  let previous = null;
  for (const b of buckets) {
    if (!b.count || b.mean === null) { flush(); previous = null; continue; }
    if (previous && Math.abs(b.t - previous.end) > 1000) flush();
    run.push(b);
    previous = b;
    drawn += 1;
  }
  flush();
  $("curve").setAttribute("d", curve);
  $("band").setAttribute("d", band);
  $("chart").dataset.points = String(drawn);
}

// Each run of missing half hours is a hatched band across the plot (at least 2 units wide, so
// that a lone half hour shows on a year): a hole is drawn as one, never read as a dip.
function drawGaps(gaps, start, end) {
  for (const gap of gaps) {
    const x0 = scaleX(Math.max(gap.t, start)), x1 = scaleX(Math.min(gap.end, end)), width = Math.max(x1 - x0, 2);
    const node = document.createElementNS(SVG, "rect");
    const attributes = { x: ((x0 + x1 - width) / 2).toFixed(1), y: TOP, width: width.toFixed(1), height: HEIGHT - TOP - BOTTOM };
    Object.entries(attributes).forEach(([k, value]) => node.setAttribute(k, value));
    Object.assign(node.dataset, { first: gap.first, last: gap.last });
    $("gaps").appendChild(node);
  }
  $("chart").dataset.gaps = String(gaps.length);
}

function xy(t, w) {
  return scaleX(t).toFixed(1) + " " + scaleY(w).toFixed(1);
}

// For drawing only: at most a minimum and a maximum per pixel column, never across a gap.
function decimate(points, xOf) {
  if (points.length <= 2 * (WIDTH - LEFT - RIGHT)) return points.map((p, i) => [p, i > 0 && p.t - points[i - 1].t > HALF_HOUR_MS]);
  const out = [];
  let column = null, low = null, high = null, gapBefore = false;
  const flush = () => {
    if (!low) return;
    const pair = low.t <= high.t ? [low, high] : [high, low];
    out.push([pair[0], gapBefore]);
    if (pair[1] !== pair[0]) out.push([pair[1], false]);
  };
  points.forEach((p, i) => {
    const gap = i > 0 && p.t - points[i - 1].t > HALF_HOUR_MS;
    const c = Math.floor(xOf(p.t));
    if (c !== column || gap) { flush(); column = c; low = high = p; gapBefore = gap; return; }
    if (p.w < low.w) low = p;
    if (p.w > high.w) high = p;
  });
  flush();
  return out;
}

// --- Another year: the same dates, drawn on the same axis -------------------

// The years /health says hold data (by source); without them, those of the stored span.
function offerYears(bySource) {
  const years = [...new Set(Object.values(bySource || {}).flat())].sort();
  if (!years.length && stored.first) {
    for (let y = +stored.first.slice(0, 4); y <= +stored.last.slice(0, 4); y++) years.push(y);
  }
  const select = $("compare");
  for (const year of years) select.add(new Option(String(year), String(year)));
  select.value = comparing;
  $("comparing").hidden = !years.length;
}

function shiftYears(value, years) {  // "YYYY-MM-DDTHH:MM" the same date `years` later (29 Feb rolls over)
  const [y, m, d] = value.slice(0, 10).split("-").map(Number);
  return calendarDay(y + years, m, d) + value.slice(10);
}

// Where the drawn range's axis puts instant t of the year compared: the same Paris date and time.
function onAxis(t, years) {
  const p = parisParts(t), midnight = parisMidnight(+p.year, +p.month, +p.day);
  return parisMidnight(+p.year - years, +p.month, +p.day) + (t - midnight);
}

// The compared year's half hours or buckets, as the drawn view's interval: {year, first, last, items}.
// The range is moved whole, so that its last day falls in that year (a winter, the winter ending then).
async function fetchOther(startValue, endValue, interval, signal) {
  const years = comparing - Number(endValue.slice(0, 4));
  if (!comparing || !years) return null;
  const [first, last] = [shiftYears(startValue, years), shiftYears(endValue, years)];
  const answer = await fetchView(first, last, interval, signal);
  const other = { year: comparing, first, last, items: [] };
  if (answer.error) return other;
  const step = interval !== "half-hour";
  for (const item of answer.points || answer.buckets.filter((b) => b.count && b.mean !== null)) {
    const to = step ? item.end : item.t + HALF_HOUR_MS;
    const t = onAxis(item.t, years);
    other.items.push({ t, end: t + to - item.t, from: item.t, to, w: step ? item.mean : item.w, stamp: item.stamp, step });
  }
  other.byTime = new Map(other.items.map((item) => [item.t, item]));
  return other;
}

// A lighter curve: joined where the compared year's half hours (buckets) follow each other.
function drawOther(other) {
  let d = "", previous = null;
  for (const item of other.items) {
    if (item.t < view.start || item.end > view.end) continue;
    d += (previous && item.from - previous.to <= 1000 ? "L" : "M") + xy(item.t, item.w);
    if (item.step) d += "L" + xy(item.end, item.w);
    previous = item;
  }
  $("other").setAttribute("d", d);
  $("chart").dataset.otherPoints = String(other.items.length);
}

function sayOther(other) {
  const note = $("compare-note");
  note.hidden = !comparing;
  note.classList.toggle("drawn", Boolean(other && other.items.length));
  Object.assign(note.dataset, { first: other ? other.first : "", last: other ? other.last : "" });
  if (!other) return (note.textContent = comparing + " is the year drawn.");
  const dates = other.first.replace("T", " ") + " to " + other.last.replace("T", " ");
  note.textContent = other.items.length ? "Lighter curve: " + dates + "." : "Nothing is stored from " + dates + ".";
}

function otherReadout(node, t) {
  const item = view.other && view.other.byTime.get(t);
  if (!item) return "";
  Object.assign(node.dataset, { otherTimestamp: item.stamp, otherW: String(item.w) });
  const label = item.step ? item.stamp.slice(0, view.interval === "month" ? 7 : 10) : item.stamp.slice(0, 16).replace("T", " ");
  return "; " + label + ": " + gw(item.w);
}

// --- The range's records and its typical day -------------------------------------

// Asked beside the view; a panel the service cannot fill is not shown, and the chart stays.
function fetchPanels(startValue, endValue, signal) {
  const range = query(startValue, endValue), failed = () => ({ ok: false });
  return Promise.all([
    getJson("/consumption/peaks", range + "&n=" + PEAKS, signal).catch(failed),
    getJson("/consumption/profile", range + "&by=weekday", signal).catch(failed),
  ]);
}

function showPanels([peaks, profile]) {
  showPeaks(peaks.ok ? peaks.body.data : []);
  typical = profile.ok ? typicalDay(profile.body.data) : null;
  $("typical").hidden = !typical;
  if (typical) drawTypical(typical);
}

function hidePanels() {
  typical = null;
  $("peaks").hidden = true;
  $("typical").hidden = true;
  $("compare-note").hidden = true;
}

function showPeaks(peaks) {
  const items = peaks.map((peak) => {
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.at = peak.timestamp;
    button.dataset.consumptionW = String(peak.consumption_w);
    const value = document.createElement("strong"), at = document.createElement("span");
    value.textContent = gw(peak.consumption_w);
    at.textContent = instantFormat.format(Date.parse(peak.timestamp));
    button.append(value, " ", at);
    const item = document.createElement("li");
    item.append(button);
    return item;
  });
  $("peak-list").replaceChildren(...items);
  $("peaks").hidden = !items.length;
}

// Weekdays (ISO 1-5) and weekends (6-7): each half hour's mean over its slots, weighted by their counts.
function typicalDay(slots) {
  const sums = { weekdays: Array(48).fill(0), weekends: Array(48).fill(0) };
  const counts = { weekdays: Array(48).fill(0), weekends: Array(48).fill(0) };
  for (const slot of slots) {
    if (!slot.count || slot.mean_w === null) continue;
    const kind = slot.weekday >= 6 ? "weekends" : "weekdays";
    const i = 2 * Number(slot.time.slice(0, 2)) + (slot.time.slice(3) === "30" ? 1 : 0);
    sums[kind][i] += slot.mean_w * slot.count;
    counts[kind][i] += slot.count;
  }
  const means = (kind) => sums[kind].map((sum, i) => (counts[kind][i] ? sum / counts[kind][i] : null));
  const day = { weekdays: means("weekdays"), weekends: means("weekends") };
  return day.weekdays.concat(day.weekends).some((w) => w !== null) ? day : null;
}

// The typical day's chart: as wide as it is shown, in CSS pixels, like the curve's.
const TYPICAL_HEIGHT = 260;
let typicalWidth = 960;

function slotX(slot) {  // slot 0 is 00:00, slot 48 is the next midnight
  return LEFT + (slot / 48) * (typicalWidth - LEFT - RIGHT);
}

function drawTypical(day) {
  const chart = $("typical-chart");
  typicalWidth = chart.clientWidth || 960;
  chart.setAttribute("viewBox", `0 0 ${typicalWidth} ${TYPICAL_HEIGHT}`);
  const values = day.weekdays.concat(day.weekends).filter((w) => w !== null);
  const pad = Math.max((Math.max(...values) - Math.min(...values)) * 0.08, 1e8);
  const low = Math.min(...values) - pad, high = Math.max(...values) + pad;
  const y = (w) => TOP + ((high - w) / (high - low)) * (TYPICAL_HEIGHT - TOP - BOTTOM);
  drawTypicalAxes(low, high, y);
  for (const kind of ["weekdays", "weekends"]) {
    $(kind).setAttribute("d", typicalPath(day[kind], y));
    $(kind).dataset.points = String(day[kind].filter((w) => w !== null).length);
  }
  $("typical-cursor").setAttribute("y1", TOP);
  $("typical-cursor").setAttribute("y2", TYPICAL_HEIGHT - BOTTOM);
}

function drawTypicalAxes(low, high, y) {
  const [xAxis, yAxis] = [$("typical-x-axis"), $("typical-y-axis")];
  xAxis.replaceChildren();
  yAxis.replaceChildren();
  for (const v of ticks(low / 1e9, high / 1e9, 7)) {
    line(yAxis, LEFT, y(v * 1e9), typicalWidth - RIGHT, y(v * 1e9), "grid");
    text(yAxis, LEFT - 6, y(v * 1e9) + 4, v.toFixed(v % 1 ? 1 : 0) + " GW", "end");
  }
  const hours = [1, 2, 3, 6].find((h) => 24 / h <= (typicalWidth - LEFT - RIGHT) / 70) || 12;
  for (let h = 0; h <= 24; h += hours) {
    const anchor = h === 0 ? "start" : h === 24 ? "end" : "middle";
    line(xAxis, slotX(2 * h), TOP, slotX(2 * h), TYPICAL_HEIGHT - BOTTOM, "grid");
    text(xAxis, slotX(2 * h), TYPICAL_HEIGHT - BOTTOM + 16, String(h).padStart(2, "0") + ":00", anchor);
  }
}

function typicalPath(means, y) {  // each half hour at its middle; a half hour with no data breaks the curve
  let d = "";
  means.forEach((w, i) => {
    if (w !== null) d += (i && means[i - 1] !== null ? "L" : "M") + slotX(i + 0.5).toFixed(1) + " " + y(w).toFixed(1);
  });
  return d;
}

function typicalReadout(event) {
  if (!typical) return;
  const box = $("typical-chart").getBoundingClientRect(), cursor = $("typical-cursor");
  const at = ((event.clientX - box.left) * typicalWidth) / box.width;
  const slot = Math.min(47, Math.max(0, Math.floor(((at - LEFT) / (typicalWidth - LEFT - RIGHT)) * 48)));
  ["x1", "x2"].forEach((name) => cursor.setAttribute(name, slotX(slot + 0.5)));
  cursor.setAttribute("visibility", "visible");
  const time = String(slot >> 1).padStart(2, "0") + (slot % 2 ? ":30" : ":00");
  const [weekdays, weekends] = [typical.weekdays[slot], typical.weekends[slot]];
  const node = $("typical-readout"), said = (w) => (w === null ? "no data" : gw(w));
  Object.assign(node.dataset, { time, weekdaysW: String(weekdays), weekendsW: String(weekends) });
  node.textContent = time + ": weekdays " + said(weekdays) + ", weekends " + said(weekends);
}

// --- Axes ----------------------------------------------------------------------

function ticks(low, high, count) {
  const step = Math.pow(10, Math.floor(Math.log10((high - low) / count)));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => (high - low) / s <= count) || 10 * step;
  const out = [];
  for (let v = Math.ceil(low / nice) * nice; v <= high; v += nice) out.push(v);
  return out;
}

// Ticks on Paris wall-clock boundaries: hours, days, months or years, at most `count` of them.
function timeTicks(start, end, count) {
  const span = end - start, out = [];
  if (span <= 3 * DAY_MS) {
    const step = [1, 2, 3, 6, 12].find((h) => span / (h * HOUR_MS) <= count) || 24;
    let last = -Infinity;
    for (let t = Math.ceil(start / HALF_HOUR_MS) * HALF_HOUR_MS; t < end; t += HALF_HOUR_MS) {
      const local = timeFormat.format(t);
      const atStep = step < 24 ? local.endsWith(":00") && Number(local.slice(0, 2)) % step === 0 : local === "00:00";
      if (!atStep || t - last < step * HOUR_MS * 0.9) continue;
      last = t;
      out.push({ t, label: step < 24 ? local : dayFormat.format(t), below: step < 24 && local === "00:00" ? dayFormat.format(t) : "" });
    }
    return out;
  }
  const p = parisParts(start);
  if (span <= 120 * DAY_MS) {
    const step = [1, 2, 7, 14].find((k) => span / (k * DAY_MS) <= count) || 28;
    for (let d = +p.day; ; d++) {
      const t = parisMidnight(+p.year, +p.month, d);
      if (t >= end) break;
      const dayNumber = Date.UTC(+p.year, p.month - 1, d) / DAY_MS;
      if (t >= start && (dayNumber + 3) % step === 0) out.push({ t, label: dayFormat.format(t), below: "" });  // +3: Mondays
    }
    return out;
  }
  if (span <= 4 * 366 * DAY_MS) {
    const step = [1, 2, 3, 6].find((k) => span / (k * 30.5 * DAY_MS) <= count) || 12;
    for (let m = +p.month; ; m++) {
      const t = parisMidnight(+p.year, m, 1);
      if (t >= end) break;
      if (t >= start && (m - 1) % step === 0) out.push({ t, label: monthFormat.format(t), below: "" });
    }
    return out;
  }
  const step = [1, 2, 4, 5, 10].find((k) => span / (k * 365.25 * DAY_MS) <= count) || 20;
  for (let y = +p.year; ; y++) {
    const t = parisMidnight(y, 1, 1);
    if (t >= end) break;
    if (t >= start && y % step === 0) out.push({ t, label: yearFormat.format(t), below: "" });
  }
  return out;
}

function text(parent, x, y, content, anchor) {
  const node = document.createElementNS(SVG, "text");
  node.setAttribute("x", x);
  node.setAttribute("y", y);
  node.setAttribute("text-anchor", anchor);
  node.textContent = content;
  parent.appendChild(node);
}

function line(parent, x1, y1, x2, y2, cls) {
  const node = document.createElementNS(SVG, "line");
  Object.entries({ x1, y1, x2, y2 }).forEach(([k, v]) => node.setAttribute(k, v));
  if (cls) node.setAttribute("class", cls);
  parent.appendChild(node);
}

// As many ticks as their labels leave room for: ten across a desktop's chart, four on a phone's.
function drawAxes(start, end, low, high) {
  for (const v of ticks(low / 1e9, high / 1e9, Math.min(8, Math.floor((HEIGHT - TOP - BOTTOM) / 25)))) {
    const y = scaleY(v * 1e9);
    line($("y-axis"), LEFT, y, WIDTH - RIGHT, y, "grid");
    text($("y-axis"), LEFT - 6, y + 4, v.toFixed(v % 1 ? 1 : 0) + " GW", "end");
  }
  const count = Math.max(3, Math.min(10, Math.floor((WIDTH - LEFT - RIGHT) / 70)));
  for (const tick of timeTicks(start, end, count)) {
    const x = scaleX(tick.t), anchor = x > WIDTH - 40 ? "end" : "middle";  // a label past the edge would be cut
    line($("x-axis"), x, TOP, x, HEIGHT - BOTTOM, "grid");
    text($("x-axis"), x, HEIGHT - BOTTOM + 16, tick.label, anchor);
    if (tick.below) text($("x-axis"), x, HEIGHT - BOTTOM + 30, tick.below, anchor);
  }
}

// --- The pointer: reading values and zooming ---------------------------------

function chartX(event) {
  const box = $("chart").getBoundingClientRect();
  return ((event.clientX - box.left) * WIDTH) / box.width;
}

function timeAt(x) {
  const clamped = Math.min(Math.max(x, LEFT), WIDTH - RIGHT);
  return view.start + ((clamped - LEFT) / (WIDTH - LEFT - RIGHT)) * (view.end - view.start);
}

function nearest(items, x, xOf) {  // by bisection on the full data, not on what is drawn
  let lo = 0, hi = items.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xOf(items[mid]) < x) lo = mid;
    else hi = mid;
  }
  return Math.abs(xOf(items[lo]) - x) <= Math.abs(xOf(items[hi]) - x) ? items[lo] : items[hi];
}

function placeCursor(x, y) {
  const cursor = $("cursor");
  cursor.setAttribute("visibility", "visible");
  cursor.querySelector("line").setAttribute("x1", x);
  cursor.querySelector("line").setAttribute("x2", x);
  cursor.querySelector("circle").setAttribute("cx", x);
  cursor.querySelector("circle").setAttribute("cy", y);
}

function readout(event) {
  if (!view) return;
  const x = chartX(event), node = $("readout");
  for (const key of Object.keys(node.dataset)) delete node.dataset[key];
  // In half hours, a hole reads as one; a bucket says its own count of the expected half hours.
  const at = timeAt(x), gap = view.points && view.gaps.find((g) => g.t <= at && at < g.end);
  if (gap) {
    placeCursor(x, -10);
    node.dataset.gap = gap.first;
    const last = instantFormat.format(Date.parse(gap.last));
    node.textContent = "No data: " + gap.halfHours + " half hours missing, " + instantFormat.format(gap.t) + " to " + last;
    return;
  }
  if (view.points) {
    const p = nearest(view.points, x, (q) => scaleX(q.t));
    placeCursor(scaleX(p.t), scaleY(p.w));
    node.dataset.timestamp = p.stamp;
    node.dataset.consumptionW = String(p.w);
    node.dataset.nature = p.nature;
    node.textContent = p.stamp.slice(0, 10) + " " + p.stamp.slice(11, 16) + " (UTC" + p.stamp.slice(19) + "): "
      + gw(p.w) + " = " + (p.w / 1e6).toLocaleString("en") + " MW, " + p.nature + otherReadout(node, p.t);
    return;
  }
  const b = nearest(view.buckets, x, (q) => scaleX((q.t + q.end) / 2));
  const label = b.stamp.slice(0, view.interval === "month" ? 7 : 10);
  Object.assign(node.dataset, { timestamp: b.stamp, count: String(b.count), expected: String(b.expected) });
  const halfHours = b.count + "/" + b.expected + " half hours";
  if (!b.count || b.mean === null) {
    placeCursor(scaleX((b.t + b.end) / 2), -10);
    node.textContent = label + ": no data (" + halfHours + ")";
    return;
  }
  Object.assign(node.dataset, { meanW: String(b.mean), minW: String(b.min), maxW: String(b.max), energyWh: String(b.energy) });
  placeCursor(scaleX((b.t + b.end) / 2), scaleY(b.mean));
  node.textContent = label + ": mean " + gw(b.mean) + ", min " + gw(b.min) + ", max " + gw(b.max)
    + (b.maxStamp ? " at " + instantFormat.format(Date.parse(b.maxStamp)) : "") + ", "
    + Math.round(b.energy / 1e9).toLocaleString("en") + " GWh; " + halfHours + otherReadout(node, b.t);
}

function drawSelection(x0, x1) {
  const [a, b] = [x0, x1].map((x) => Math.min(Math.max(x, LEFT), WIDTH - RIGHT)).sort((p, q) => p - q);
  const selection = $("selection");
  selection.setAttribute("x", a);
  selection.setAttribute("width", b - a);
  selection.setAttribute("visibility", "visible");
  return [a, b];
}

function endDrag(event) {
  if (!drag) return;
  const [a, b] = drawSelection(drag.x0, chartX(event));
  drag = null;
  $("selection").setAttribute("visibility", "hidden");
  if (b - a < 4) return;  // a click, not a drag
  const first = Math.floor(timeAt(a) / HALF_HOUR_MS) * HALF_HOUR_MS;
  const last = Math.max(first, Math.floor(timeAt(b) / HALF_HOUR_MS) * HALF_HOUR_MS);
  go(parisLocal(first), parisLocal(last));
}

function wire() {
  const main = $("chart");
  main.addEventListener("pointerdown", (event) => {
    if (!view || event.button !== 0) return;
    drag = { x0: chartX(event) };
    main.setPointerCapture(event.pointerId);
  });
  main.addEventListener("pointermove", (event) => (drag ? drawSelection(drag.x0, chartX(event)) : readout(event)));
  main.addEventListener("pointerup", endDrag);
  main.addEventListener("pointercancel", () => {
    drag = null;
    $("selection").setAttribute("visibility", "hidden");
  });
  $("range").addEventListener("submit", (event) => {
    event.preventDefault();
    const [startValue, endValue] = fieldsRange();
    if (!rangeProblem(startValue, endValue)) go(startValue, endValue);
  });
  window.addEventListener("resize", () => {
    if (view) render(view);
    if (typical) drawTypical(typical);
  });
  $("compare").addEventListener("change", () => {
    comparing = $("compare").value;
    if (!shown) return;
    history.replaceState(history.state, "", address(...shown));
    show(...shown);
  });
  $("peak-list").addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (button) go(button.dataset.at.slice(0, 10) + "T00:00", button.dataset.at.slice(0, 10) + "T23:30");
  });
  const chart = $("typical-chart");
  chart.addEventListener("pointermove", typicalReadout);
  chart.addEventListener("pointerdown", typicalReadout);
  $("back").addEventListener("click", () => history.back());
  $("show-stored").addEventListener("click", () => preset("everything"));
  for (const button of document.querySelectorAll("[data-preset]")) {
    button.addEventListener("click", () => preset(button.dataset.preset));
  }
  window.addEventListener("popstate", () => fromLocation());
}

async function start() {
  wire();
  try {
    const response = await fetch("/health");
    const health = await response.json();
    if (health.first !== undefined) noteStored(health);
    offerYears(health.years);
    if (fromLocation()) return;
    if (!health.last) return showError(health.error || "No data yet: import or fetch RTE's files first.", false);
    const day = health.last.slice(0, 10);  // the last half hour's Paris date
    history.replaceState({ depth: 0 }, "", address(day + "T00:00", day + "T23:30"));
    fromLocation();
  } catch (error) {
    if (!fromLocation()) showError("The service did not answer: " + error.message, false);
  }
}

start();
