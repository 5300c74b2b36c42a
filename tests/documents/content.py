"""Texts of realistic application documents (French, Arabic, English), as blocks to render.

A document is a list of blocks: ("h", text) a heading, ("p", text) a paragraph, ("table", rows).
``style`` is "tuning" or "heldout": the held-out part draws on wordings the tuning part never
uses, so its figures say how the classifier does on phrasing it was not tuned against.
"""
from __future__ import annotations

import random

FIRST = ["Salma", "Youssef", "Khadija", "Omar", "Nadia", "Karim", "Fatima Zahra", "Hamza", "Imane",
         "Mehdi", "Sara", "Anas", "Hind", "Rachid", "Meryem", "Ayoub", "Zineb", "Ilyas"]
LAST = ["Bennani", "Alaoui", "El Idrissi", "Tazi", "Berrada", "Chraibi", "Benjelloun", "Amrani",
        "Ouazzani", "Fassi", "Lahlou", "Kettani", "Naciri", "Sebti", "Ziani", "Bouzid"]
AR_NAMES = ["سلمى بناني", "يوسف العلوي", "خديجة الإدريسي", "عمر التازي", "نادية برادة",
            "كريم الشرايبي", "حمزة العمراني", "إيمان الوزاني", "مهدي الفاسي", "هند لحلو"]
ORGS = ["Association Amane", "Observatoire Marocain des Prisons", "Fondation Zakoura",
        "Association Tilila", "Handicap International Maroc", "Association Jossour",
        "Université Hassan II", "Réseau Anaruz", "Association Bayti", "Fondation Orient-Occident"]
AR_ORGS = ["جمعية أمان", "المرصد المغربي للسجون", "مؤسسة زاكورة", "جمعية جسور", "جامعة الحسن الثاني"]
CITIES = ["Casablanca", "Rabat", "Fès", "Marrakech", "Agadir", "Tanger", "Oujda", "Meknès"]
TITLES = ["Directeur", "Directrice", "Président", "Présidente", "Coordinateur de programmes",
          "Responsable administrative", "Chef de projet", "Professeur"]
AR_TITLES = ["مدير", "رئيسة", "منسق البرامج", "أستاذ التعليم العالي"]
JOBS = ["Chargée de projet", "Assistant de programme", "Animatrice sociale", "Chargé de suivi-évaluation",
        "Coordinatrice terrain", "Juriste", "Consultant en gestion de projets"]
POSTS = ["chargé(e) de projet", "consultant(e) en gestion de projets", "chargé(e) de projet Dialogue"]

Block = tuple


class Writer:
    """A deterministic source of names, numbers and phrasing for one part of the collection."""

    def __init__(self, seed: int, style: str):
        self.rng = random.Random(seed)
        self.style = style
        self.heldout = style == "heldout"

    def pick(self, items):
        return self.rng.choice(items)

    def person(self) -> str:
        return f"{self.pick(FIRST)} {self.pick(LAST)}"

    def phone(self) -> str:
        digits = "".join(str(self.rng.randint(0, 9)) for _ in range(8))
        return self.pick([f"06 {digits[:2]} {digits[2:4]} {digits[4:6]} {digits[6:]}",
                          f"+212 6{digits}", f"05 22 {digits[:2]} {digits[2:4]} {digits[4:6]}"])

    def email(self, name: str, org: str = "") -> str:
        user = name.lower().replace(" ", ".").replace("é", "e").replace("è", "e")
        domain = (org.split()[-1].lower() if org else self.pick(["gmail.com", "yahoo.fr", "outlook.com"]))
        domain = domain.replace("é", "e").replace("è", "e")
        return f"{user}@{domain}" + ("" if "." in domain else ".ma")

    def years(self) -> str:
        start = self.rng.randint(2008, 2020)
        return f"{start}-{start + self.rng.randint(1, 4)}"
