from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.db import get_session
from app.models import Item

router = APIRouter(prefix="/api/v1")


class ItemIn(BaseModel):
    title: str = Field(min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=1024)


class ItemOut(ItemIn):
    id: int


@router.get("/utils/health-check/")
def health_check(session: Session = Depends(get_session)) -> dict[str, str]:
    session.execute(text("SELECT 1"))
    return {"status": "ok"}


@router.post("/items/", response_model=ItemOut, status_code=201)
def create_item(item: ItemIn, session: Session = Depends(get_session)) -> Item:
    row = Item(title=item.title, description=item.description)
    session.add(row)
    session.commit()
    return row


@router.get("/items/{item_id}", response_model=ItemOut)
def read_item(item_id: int, session: Session = Depends(get_session)) -> Item:
    row = session.scalar(select(Item).where(Item.id == item_id))
    if row is None:
        raise HTTPException(status_code=404, detail="item not found")
    return row
