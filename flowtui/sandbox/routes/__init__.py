"""The sandbox's route handlers, one module per resource.

Each module holds a :class:`~flowtui.sandbox.routes.base.Handlers` subclass whose ``routes()``
lists its Starlette routes; :func:`flowtui.sandbox.app.create_app` joins them.
"""
