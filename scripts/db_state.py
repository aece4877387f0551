"""Print "ADMINS PROFILES": how many active admins and profiles the configured database has.

Used by scripts/run.sh to create the first admin and load the demo data only once.
"""

from sqlalchemy import func, select

from crm import create_app
from crm.extensions import db
from crm.models import Profile, User


def main() -> None:
    """Count active admins and profiles in the database named by the environment."""
    app = create_app()
    with app.app_context():
        admins = db.session.scalar(
            select(func.count()).select_from(User).where(User.role == "admin", User.active)
        )
        profiles = db.session.scalar(select(func.count()).select_from(Profile))
    print(admins, profiles)


if __name__ == "__main__":
    main()
