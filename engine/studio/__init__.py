"""Muse Studio: a local web UI over :class:`engine.Engine` (``muse studio``).

Nothing here is imported by ``engine`` itself or by ``muse --help``/``muse list``: the web stack
(Starlette, uvicorn) loads only when the studio starts. The parts:

- :mod:`engine.studio.forms`: a component's declared ``Param``\\ s as form fields, and the
  validation of submitted values (through :func:`engine.params.resolve`, as the CLI does);
- :mod:`engine.studio.security`: Host/Origin/token checks and workspace-only path resolution;
- :mod:`engine.studio.history`: the workspace on disk (works, uploads), written atomically;
- :mod:`engine.studio.jobs`: the queue and the warm worker processes that run it;
- :mod:`engine.studio.app`: the Starlette application and ``serve``.
"""
