"""`archc serve`: a playground in the browser. An editor for a spec beside its diagnostics, summary
table, diagram, `explain` formulas and valid inputs, updated as one types.

    app.py      the starlette app: the page and a JSON API, each route one call to the worker pool
    jobs.py     what each API call does, as calls to archc.api (run inside a worker process)
    pool.py     worker processes with a time limit per request (a stuck one is killed and replaced)
    worker.py   the worker's loop: one JSON request a line in, one JSON answer a line out
    static/     the page: index.html, playground.js, playground.css
"""
