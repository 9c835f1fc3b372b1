// The page's Listening section: charts drawn as inline SVG from /api/charts.
// Names go into the page as text (textContent), never as HTML; no library.
"use strict";

(() => {
  const CHARTS_REFRESH_MS = 60000;
  const SVG = "http://www.w3.org/2000/svg";
  const DAYS_WIDTH = 300; // the day chart's drawing units (it scales to the width)
  const DAYS_HEIGHT = 100;
  const BAR_GAP = 2;
  const TOP_KINDS = [
    ["artists", (e) => e.artist],
    ["tracks", (e) => `${e.artist} – ${e.track}`],
    ["albums", (e) => `${e.artist} – ${e.album}`],
  ];
  const byId = (id) => document.getElementById(id);
  let charts = null; // the last answer
  let shownPeriod = "7d";

  function svgNode(name, attributes) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) {
      node.setAttribute(key, String(value));
    }
    return node;
  }

  function plays(count) {
    return `${count} play${count === 1 ? "" : "s"}`;
  }

  // "3 d 4 h", "5 h 12 min", "7 min": listening time as people say it.
  function duration(seconds) {
    const minutes = Math.round(seconds / 60);
    const days = Math.floor(minutes / 1440);
    const hours = Math.floor((minutes % 1440) / 60);
    if (days > 0) {
      return `${days} d ${hours} h`;
    }
    return hours > 0 ? `${hours} h ${minutes % 60} min` : `${minutes} min`;
  }

  function dayLabel(date) {
    return new Date(`${date}T12:00:00`).toLocaleDateString(undefined, { month: "short", day: "numeric" });
  }

  function renderDays(days) {
    const most = Math.max(1, ...days.map((d) => d.plays));
    const total = days.reduce((sum, d) => sum + d.plays, 0);
    const slot = DAYS_WIDTH / days.length;
    const svg = svgNode("svg", {
      viewBox: `0 0 ${DAYS_WIDTH} ${DAYS_HEIGHT}`,
      preserveAspectRatio: "none",
      role: "img",
      "aria-labelledby": "charts-days-title",
      class: "chart-days",
    });
    const title = svgNode("title", { id: "charts-days-title" });
    title.textContent = `Plays per day, last ${days.length} days: ${plays(total)}, at most ${plays(most)} a day`;
    svg.append(title);
    days.forEach((day, i) => {
      const height = (day.plays / most) * DAYS_HEIGHT;
      const bar = svgNode("rect", {
        x: i * slot + BAR_GAP / 2,
        y: DAYS_HEIGHT - height,
        width: slot - BAR_GAP,
        height,
        class: "chart-bar",
        "data-date": day.date,
        "data-plays": day.plays,
      });
      const tip = svgNode("title", {});
      tip.textContent = `${dayLabel(day.date)}: ${plays(day.plays)}`;
      bar.append(tip);
      svg.append(bar);
    });
    byId("charts-days").replaceChildren(svg);
    byId("charts-days-range").textContent = days.length
      ? `${dayLabel(days[0].date)} – ${dayLabel(days[days.length - 1].date)}: ${plays(total)}`
      : "";
    const rows = days.map((day) => {
      const row = document.createElement("tr");
      const date = document.createElement("td");
      date.textContent = dayLabel(day.date);
      const count = document.createElement("td");
      count.textContent = String(day.plays);
      row.append(date, count);
      return row;
    });
    byId("charts-days-rows").replaceChildren(...rows.reverse());
  }

  function renderTop(kind, name, entries) {
    const list = byId(`charts-${kind}`);
    const most = Math.max(1, ...entries.map((e) => e.plays));
    list.replaceChildren(
      ...entries.map((entry) => {
        const item = document.createElement("li");
        const label = document.createElement("span");
        label.className = "chart-name";
        label.textContent = name(entry);
        const count = document.createElement("span");
        count.className = "chart-count";
        count.textContent = plays(entry.plays);
        const bar = svgNode("svg", {
          viewBox: "0 0 100 4",
          preserveAspectRatio: "none",
          class: "chart-line",
          "aria-hidden": "true",
        });
        bar.append(svgNode("rect", {
          x: 0, y: 0, height: 4, width: (entry.plays / most) * 100,
          class: "chart-bar", "data-plays": entry.plays,
        }));
        item.append(label, " ", count, bar);
        return item;
      }),
    );
    byId(`charts-${kind}-none`).hidden = entries.length > 0;
  }

  function renderPeriod() {
    const period = charts.periods.find((p) => p.period === shownPeriod) || charts.periods[0];
    for (const tab of byId("charts-periods").querySelectorAll("button")) {
      tab.setAttribute("aria-selected", String(tab.dataset.period === period.period));
    }
    byId("charts-total").textContent =
      `${period.label}: ${plays(period.plays)}, ${duration(period.seconds)} of listening.`;
    for (const [kind, name] of TOP_KINDS) {
      renderTop(kind, name, period[kind]);
    }
  }

  function renderTabs(periods) {
    const tabs = byId("charts-periods");
    if (tabs.childElementCount) {
      return;
    }
    for (const period of periods) {
      const tab = document.createElement("button");
      tab.type = "button";
      tab.setAttribute("role", "tab");
      tab.dataset.period = period.period;
      tab.textContent = period.label;
      tab.addEventListener("click", () => {
        shownPeriod = period.period;
        renderPeriod();
      });
      tabs.append(tab);
    }
  }

  async function refreshCharts() {
    try {
      const answer = await fetch("api/charts", { headers: { "Content-Type": "application/json" } });
      const data = await answer.json();
      if (!answer.ok) {
        throw new Error(data.error || `HTTP ${answer.status}`);
      }
      charts = data;
      byId("charts-error").hidden = true;
      renderDays(charts.days);
      renderTabs(charts.periods);
      renderPeriod();
      byId("charts-card").dataset.loaded = "true";
    } catch (error) {
      byId("charts-error").textContent = `The charts could not be read: ${error.message}. They are tried again in a minute.`;
      byId("charts-error").hidden = false;
    }
  }

  refreshCharts();
  setInterval(refreshCharts, CHARTS_REFRESH_MS);
})();
