"""Profile pages after the survivorship findings of user test 3 (finding 8)."""

import io
import re

from sqlalchemy import select

from crm.extensions import db
from crm.models import DuplicateCandidate, Profile
from crm.services import ingest

SHOP = (
    "id,nome,cognome,email,telefono,data di nascita,indirizzo,cap,citta\n"
    "N1,Laura,Bianchi,laura.bianchi@libero.it,333 123 4567,12/03/1985,Via Dante 5,20121,Milano\n"
)
ONLINE = (
    "customer id,first name,last name,email,phone,birth date,address,zip,city\n"
    "E1,Laura,Colombo,laura.colombo82@gmail.com,0039 333 1234567,1985-03-12,"
    "Via XX Settembre 10,24121,Bergamo\n"
)


def test_a_profile_kept_apart_for_review_names_the_phone_its_record_carries(client, auth):
    for text, source in ((SHOP, "negozio"), (ONLINE, "ecommerce")):
        ingest.import_stream(io.BytesIO(text.encode()), filename="p.csv", source_name=source)
    pair = db.session.scalar(select(DuplicateCandidate))
    held = db.session.get(Profile, pair.profile_a_id)
    kept_apart = db.session.get(Profile, pair.profile_b_id)
    assert (held.last_name, kept_apart.last_name) == ("Bianchi", "Colombo")
    assert kept_apart.phones == []  # the number belongs to one profile
    auth.login_as("sales")
    page = client.get(f"/profiles/{kept_apart.id}").get_data(as_text=True)
    phones = re.search(r'id="field-phones">(.*?)</dd>', page, re.S).group(1)
    assert "+39 333 123 4567" in phones
    assert f'href="/profiles/{held.id}"' in phones
