"""What the sample pöytäkirja must say (R49), as it reads in whitespace-normalised text."""

from __future__ import annotations

FACTS = [
    # organisational data
    "Esimerkkilän kunta",
    "Tekninen lautakunta",
    "Pöytäkirja 5/2026",
    "16.3.2026 klo 18.00–20.15",
    "Kunnantalo, valtuustosali, ja etäyhteys",
    "hybridikokous",
    # attendance, arrivals and departures per section, substitute, remote, absent
    "Mikko Mäkinen jäsen paikan päällä saapui klo 18.20 47 §:n aikana",
    "Sari Salo jäsen paikan päällä poistui klo 19.40 50 §:n aikana",
    "Ulla Uusitalo jäsen paikan päällä poistui klo 18.55 48 §:n aikana (esteellisenä); "
    "saapui klo 19.10 49 §:n aikana",
    "Veikko Virta varajäsen (jäsenen Kaisa Koskinen sijaisena)",
    "Timo Toivonen jäsen etäyhteydellä",
    "Anna Aaltonen puheenjohtaja, jäsen",
    "Kaisa Koskinen jäsen ilmoittanut esteestä",
    "Olli Ojala",
    # legality and quorum
    "Kokouskutsu lähetettiin 10.3.2026 hallintosäännön mukaisesti.",
    "läsnä 7 jäsentä ja 1 varajäsen yhdeksästä",
    # § 47: three proposals (and one that fell), two votes, decision, dissents
    "47 § Katuvalaistuksen saneeraus vuonna 2026",
    "Dnro ESIM/123/10.03.02/2026",
    "Ehdotus B (Sari Salo): Saneeraus toteutetaan vuonna 2026 vain keskustan alueella",
    "Kannattaja(t): Liisa Laine.",
    "Ehdotus C (Timo Toivonen): Saneeraukseen lisätään älyohjaus",
    "Kannattaja(t): Pekka Berg.",
    "Ehdotus D (Mikko Mäkinen): Asia jätetään pöydälle. Ehdotus raukesi kannattamattomana.",
    "Äänestys 1: Vastaehdotus B vastaan vastaehdotus C",
    "Jaa = ehdotus B (Salo); Ei = ehdotus C (Toivonen).",
    "Jaa 5 Anna Aaltonen, Liisa Laine, Sari Salo, Ulla Uusitalo, Veikko Virta",
    "Ei 2 Pekka Berg, Timo Toivonen",
    "Tyhjää 1 Mikko Mäkinen",
    "Äänestys 2: Pohjaehdotus vastaan vastaehdotus B",
    "Jaa 6 Anna Aaltonen, Pekka Berg, Mikko Mäkinen, Timo Toivonen, Ulla Uusitalo, Veikko Virta",
    "Ei 2 Liisa Laine, Sari Salo",
    "Pohjaehdotus voitti äänin 6–2.",
    "Lautakunta hyväksyi esittelijän ehdotuksen äänin 6–2.",
    "Sari Salo: perusteltu eriävä mielipide. Hanke olisi tullut vaiheistaa",
    "Liisa Laine: perustelematon eriävä mielipide.",
    "1812, 1813, 1820, 1829, 1841",
    # § 48: disqualification
    "Ulla Uusitalo oli esteellinen (HL 28.1 § 2 k (sukulaisjäävi)). "
    "Uusitalo poistui kokoushuoneesta asian käsittelyn ajaksi.",
    # § 49: election
    "Vaali: Liikenneturvallisuustyöryhmän jäsenet (2)",
    "Liisa Laine 6 valittu",
    "Mikko Mäkinen 5 valittu",
    "Timo Toivonen 5",
    "arpa määräsi valituksi Mikko Mäkisen",
    # legality data
    "Oikaisuvaatimusohje",
    "Oikaisuvaatimusaika: 14 päivää päätöksen tiedoksisaannista.",
    "Muutoksenhakukielto",
    "Puheenjohtaja Anna Aaltonen",
    "Pöytäkirjanpitäjä Helena Hiltunen",
    "Pöytäkirja on allekirjoitettu ja varmennettu sähköisesti 18.3.2026 klo 12.00.",
    "Pöytäkirjantarkastajat: Liisa Laine, Pekka Berg",
    "Pöytäkirja on tarkastettu 18.3.2026.",
    "Pöytäkirja on pidetty nähtävänä yleisessä tietoverkossa 19.3.2026 alkaen.",
    "Audit-lokin tarkistuspiste allekirjoitushetkellä",
]
