"""the data version row; the review queue's indexes on recommendation (status, score DESC, id)
and (scenario_id, status)

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("recommendation", schema=None) as batch_op:
        batch_op.drop_index("ix_recommendation_status")
        batch_op.drop_index("ix_recommendation_scenario_id")
        batch_op.create_index(
            "ix_recommendation_queue", ["status", sa.text("score DESC"), "id"], unique=False
        )
        batch_op.create_index(
            "ix_recommendation_scenario_status", ["scenario_id", "status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("recommendation", schema=None) as batch_op:
        batch_op.drop_index("ix_recommendation_scenario_status")
        batch_op.drop_index("ix_recommendation_queue")
        batch_op.create_index("ix_recommendation_scenario_id", ["scenario_id"], unique=False)
        batch_op.create_index("ix_recommendation_status", ["status"], unique=False)
    op.drop_table("data_version")
