"""the matcher's learnt weight sets, and which one scored each pairing

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "weightset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("weights", sa.JSON(), nullable=False),
        sa.Column("decisions", sa.Integer(), nullable=False),
        sa.Column("trained_on", sa.Integer(), nullable=False),
        sa.Column("tested_on", sa.Integer(), nullable=False),
        sa.Column("current_auc", sa.Float(), nullable=True),
        sa.Column("new_auc", sa.Float(), nullable=True),
        sa.Column("kept", sa.Boolean(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("weightset", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_weightset_kept"), ["kept"], unique=False)
    with op.batch_alter_table("recommendation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("weight_set_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_recommendation_weight_set_id", "weightset", ["weight_set_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("recommendation", schema=None) as batch_op:
        batch_op.drop_constraint("fk_recommendation_weight_set_id", type_="foreignkey")
        batch_op.drop_column("weight_set_id")
    with op.batch_alter_table("weightset", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_weightset_kept"))
    op.drop_table("weightset")
