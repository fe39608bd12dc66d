// Installed in the page before the studio's own scripts (Playwright addInitScript), as plain
// JavaScript: functions handed to page.evaluate from a tsx-compiled file can carry esbuild helpers
// that do not exist in the page. Times are performance.now() milliseconds since navigation start.
;(() => {
  const bench = {
    longTasks: [],
    /** The first frame in which a grid thumbnail had loaded (cold start, first grid paint). */
    firstThumbAt: null,
    /** The first grid cell (with or without its thumbnail) in the DOM. */
    firstCellAt: null,
    /** When focus reached the second cell after an ArrowRight (cold start, interactive). */
    focusMovedAt: null,
    /** Review decisions: keydown (its event timestamp) to the next image painted; see below. */
    keys: [],
  }
  window.__bench = bench

  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) bench.longTasks.push({ start: e.startTime, duration: e.duration })
  }).observe({ type: 'longtask', buffered: true })

  const loaded = (img) => img && img.complete && img.naturalWidth > 0
  // One task after a rAF callback runs after that frame's paint: the moment it was on screen.
  const afterPaint = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(() => resolve(performance.now()), 0)))

  function watchFirstPaint(now) {
    if (bench.firstCellAt === null && document.querySelector('.grid-canvas .cell')) bench.firstCellAt = now
    if ([...document.querySelectorAll('[data-testid="thumb"] img')].some(loaded)) bench.firstThumbAt = now
    else requestAnimationFrame(watchFirstPaint)
  }
  requestAnimationFrame(watchFirstPaint)

  document.addEventListener(
    'focusin',
    (e) => {
      if (bench.focusMovedAt === null && e.target instanceof HTMLElement && e.target.dataset.index === '1') bench.focusMovedAt = performance.now()
    },
    true,
  )

  // Review decisions. Capture phase on window, registered before the app's listeners: it sees
  // every key first. Two clocks from the keydown event's timestamp: `painted`, the Element Timing
  // API's renderTime of the next image (when the frame that shows it was presented), and
  // `decoded`, a cross-check where that API is missing: the next image's decode() resolved, then
  // the task after the following frame.
  const pending = new Map()
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const entry = pending.get(e.identifier)
      if (!entry) continue
      entry.painted = (e.renderTime || e.loadTime) - entry.start
      pending.delete(e.identifier)
    }
  }).observe({ type: 'element', buffered: true })
  let seq = 0
  window.addEventListener(
    'keydown',
    (e) => {
      const img = document.querySelector('[data-testid="review-image"]')
      if (!img || e.repeat) return
      const before = img.getAttribute('src')
      const entry = { key: e.key, start: e.timeStamp, painted: null, decoded: null, why: null }
      bench.keys.push(entry)
      const poll = () => {
        const now = document.querySelector('[data-testid="review-image"]')
        if (!now) return void (entry.why = 'the review image went away')
        if (now.getAttribute('src') === before) return void requestAnimationFrame(poll)
        // Set before this frame paints the new image: the paint reports under this name.
        const id = `review-key-${++seq}`
        pending.set(id, entry)
        now.setAttribute('elementtiming', id)
        now
          .decode()
          .catch(() => undefined)
          .then(afterPaint)
          .then((t) => (entry.decoded = t - entry.start))
      }
      requestAnimationFrame(poll)
    },
    true,
  )

  /**
   * Scrolls the grid by `pxPerFrame` in every animation frame, from `from` (px) until `to` or the
   * bottom, timing the frames; returns the frame durations and the long tasks in that window.
   */
  bench.scroll = ({ pxPerFrame, from = 0, to = Infinity, maxFrames = Infinity }) =>
    new Promise((resolve) => {
      const el = document.querySelector('.grid-scroller')
      el.scrollTop = from
      const bottom = Math.min(to, el.scrollHeight - el.clientHeight)
      const stamps = []
      // Every tenth frame: how many of the cells in the DOM are placeholders still waiting for their page.
      let cells = 0
      let placeholders = 0
      const step = (t) => {
        stamps.push(t)
        if (stamps.length % 10 === 0) {
          cells += document.querySelectorAll('.grid-canvas .cell').length
          placeholders += document.querySelectorAll('.grid-canvas .placeholder').length
        }
        if (el.scrollTop >= bottom || stamps.length > maxFrames) {
          const frames = stamps.slice(1).map((s, i) => s - stamps[i])
          const [first, last] = [stamps[0], stamps[stamps.length - 1]]
          // Once the scroll stops: how long until every cell on screen shows its thumbnail (or
          // its error), which thumbnails asked for on the way down can hold up.
          const view = el.getBoundingClientRect()
          const settled = (now) => {
            const onScreen = [...document.querySelectorAll('.grid-canvas .cell')].filter((c) => {
              const r = c.getBoundingClientRect()
              return r.bottom > view.top && r.top < view.bottom
            })
            const done = onScreen.length > 0 && onScreen.every((c) => c.querySelector('img')?.complete)
            if (done || now - last > 30000) {
              const settleMs = done ? now - last : null
              // Long-task entries arrive a little after the task: wait for them before reading.
              setTimeout(() => {
                const longTasks = bench.longTasks.filter((lt) => lt.start + lt.duration >= first && lt.start <= last)
                resolve({ frames, scrolledPx: el.scrollTop - from, scrollHeight: el.scrollHeight, placeholderShare: cells ? placeholders / cells : 0, longTasks, settleMs })
              }, 300)
            } else requestAnimationFrame(settled)
          }
          requestAnimationFrame(settled)
          return
        }
        el.scrollTop = Math.min(bottom, el.scrollTop + pxPerFrame)
        requestAnimationFrame(step)
      }
      requestAnimationFrame(step)
    })
})()
