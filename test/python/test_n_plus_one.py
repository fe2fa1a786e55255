"""N+1 from a real ORM: SQLAlchemy's lazy loading of a relationship in a
loop runs one SELECT per parent inside one transaction.  pg_lifeguard
reports it in lifeguard.n_plus_one under the application's name; the
same data loaded with selectinload (one extra query) is not reported."""
import pytest

sqlalchemy = pytest.importorskip("sqlalchemy")
pytest.importorskip("psycopg2")
from sqlalchemy import Column, ForeignKey, Integer, String, create_engine, text  # noqa: E402
from sqlalchemy.orm import Session, declarative_base, relationship, selectinload  # noqa: E402

Base = declarative_base()


class Author(Base):
    __tablename__ = "npo_author"
    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    books = relationship("Book", lazy="select")


class Book(Base):
    __tablename__ = "npo_book"
    id = Column(Integer, primary_key=True)
    author_id = Column(Integer, ForeignKey("npo_author.id"), nullable=False)
    title = Column(String(50), nullable=False)


def engine_for(pg, app):
    url = (f"postgresql+psycopg2://{pg['PGUSER']}@/{pg['PGDATABASE']}"
           f"?host={pg['PGHOST']}&port={pg['PGPORT']}&application_name={app}")
    return create_engine(url, future=True)


@pytest.fixture(scope="module")
def schema(pg, admin):
    engine = engine_for(pg, "npo-setup")
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    with Session(engine) as session, session.begin():
        for a in range(30):
            author = Author(id=a + 1, name=f"author {a}")
            author.books = [Book(title=f"book {a}.{b}") for b in range(3)]
            session.add(author)
    admin.execute("SELECT lifeguard.reset_n_plus_one()")
    yield engine
    Base.metadata.drop_all(engine)
    engine.dispose()


def findings(admin, app):
    return admin.execute(
        "SELECT transactions, worst_per_transaction, query FROM lifeguard.n_plus_one"
        " WHERE application_name = %s", (app,)).fetchall()


def test_lazy_loading_in_a_loop_is_reported(pg, admin, schema):
    engine = engine_for(pg, "orm-lazy")
    with Session(engine) as session:
        titles = [b.title for a in session.query(Author).order_by(Author.id) for b in a.books]
        session.commit()
    engine.dispose()
    assert len(titles) == 90
    rows = findings(admin, "orm-lazy")
    assert len(rows) == 1, rows
    transactions, worst, query = rows[0]
    assert transactions == 1 and worst == 30, rows
    # the statement as the server saw it, literals replaced by placeholders
    assert "FROM npo_book" in query and "$1" in query, query


def test_eager_loading_is_not_reported(pg, admin, schema):
    engine = engine_for(pg, "orm-eager")
    with Session(engine) as session:
        authors = session.query(Author).options(selectinload(Author.books)).all()
        titles = [b.title for a in authors for b in a.books]
        session.commit()
    engine.dispose()
    assert len(titles) == 90
    assert findings(admin, "orm-eager") == []


def test_separate_transactions_are_not_reported(pg, admin, schema):
    engine = engine_for(pg, "orm-autocommit")
    with engine.connect() as conn:
        for a in range(1, 31):
            conn.execute(text("SELECT title FROM npo_book WHERE author_id = :a"), {"a": a})
            conn.commit()
    engine.dispose()
    assert findings(admin, "orm-autocommit") == []
