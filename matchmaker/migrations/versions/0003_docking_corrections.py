"""docking steps corrected by a later step

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("dockingevent", schema=None) as batch_op:
        batch_op.add_column(sa.Column("corrected_by_id", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint("uq_dockingevent_corrected_by_id", ["corrected_by_id"])
        batch_op.create_foreign_key(
            "fk_dockingevent_corrected_by_id", "dockingevent", ["corrected_by_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("dockingevent", schema=None) as batch_op:
        batch_op.drop_constraint("fk_dockingevent_corrected_by_id", type_="foreignkey")
        batch_op.drop_constraint("uq_dockingevent_corrected_by_id", type_="unique")
        batch_op.drop_column("corrected_by_id")
