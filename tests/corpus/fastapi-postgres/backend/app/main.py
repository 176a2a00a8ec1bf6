from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.api.routes import router
from app.db import wait_for_db


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    wait_for_db()
    yield


app = FastAPI(title="backend", lifespan=lifespan)
app.include_router(router)
