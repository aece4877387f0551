"""Reference data for the demo data set: names, places, companies (fictional people)."""

# Italian first names by gender; accents as Italians write them.
IT_FEMALE = (
    "Giulia", "Francesca", "Chiara", "Sara", "Martina", "Alessia", "Elisa", "Valentina",
    "Federica", "Silvia", "Laura", "Anna", "Elena", "Beatrice", "Aurora", "Ginevra", "Noemi",
    "Viola", "Greta", "Marta", "Irene", "Lucrezia", "Benedetta", "Ilaria", "Roberta",
    "Elisabetta", "Giorgia", "Caterina", "Maria Grazia", "Anna Maria", "Rosaria", "Débora",
)  # fmt: skip
IT_MALE = (
    "Marco", "Luca", "Alessandro", "Andrea", "Matteo", "Francesco", "Lorenzo", "Davide",
    "Simone", "Federico", "Riccardo", "Nicolò", "Niccolò", "Gabriele", "Tommaso", "Edoardo",
    "Pietro", "Giovanni", "Stefano", "Paolo", "Giuseppe", "Antonio", "Salvatore", "Mattia",
    "Emanuele", "Filippo", "Jacopo", "Gianluca", "Gian Marco", "Fabrizio", "Raffaele", "Ilario",
)  # fmt: skip
IT_LAST = (
    "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci",
    "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa", "Giordano",
    "Rizzo", "Lombardi", "Moretti", "Barbieri", "Fontana", "Santoro", "Mariani", "Rinaldi",
    "Caruso", "Ferrara", "Galli", "Martini", "Leone", "Longo", "Gentile", "Martinelli",
    "Vitale", "Lombardo", "Serra", "Coppola", "De Santis", "D'Angelo", "Marchetti", "Parisi",
    "Villa", "Conte", "Ferraro", "Fabbri", "Bianco", "Marini", "Grasso", "Valentini",
    "Messina", "Sala", "De Angelis", "Gatti", "Pellegrini", "Palumbo", "Sanna", "Farina",
    "Cattaneo", "Morelli", "Amato", "Silvestri", "Testa", "Dell'Acqua", "Lo Russo",
    "Di Stefano", "Carbone", "Giuliani", "Barone", "Caputo", "Montanari", "Guerra",
    "Palmieri", "Bernardi", "Fiore", "De Rosa", "Ferretti", "Bellini", "Basile", "Riva",
    "Donati", "Piras", "Battaglia", "Sartori", "Neri", "Milani", "Pagano", "Sorrentino",
    "D'Amico", "Orlando", "Nicolò", "Zanetti", "Pozzi", "Mazzoleni", "Brambilla",
)  # fmt: skip

# Short forms people type into a newsletter sign-up box.
NICKNAMES = {
    "Alessandro": "Ale", "Alessia": "Ale", "Francesca": "Fra", "Francesco": "Checco",
    "Federico": "Fede", "Federica": "Fede", "Giuseppe": "Peppe", "Nicolò": "Nico",
    "Niccolò": "Nico", "Tommaso": "Tommy", "Valentina": "Vale", "Giovanni": "Gianni",
    "Matteo": "Teo", "Riccardo": "Ricky", "Elisabetta": "Betta", "Roberta": "Roby",
    "Salvatore": "Totò", "Gianluca": "Gianlu", "Lorenzo": "Lollo", "Beatrice": "Bea",
    "Alessio": "Ale", "Andrea": "Andy", "Gabriele": "Gabri", "Emanuele": "Ema",
    "Filippo": "Pippo", "Giorgia": "Giorgi", "Caterina": "Cate", "Benedetta": "Bene",
    "Martina": "Marty", "Simone": "Simo", "Stefano": "Ste", "Chiara": "Chiari",
    "Elisa": "Eli", "Ilaria": "Ila", "Katharina": "Kathi", "Maximilian": "Max",
    "Charlotte": "Lottie", "Oliver": "Olly", "Jacob": "Jake", "Madison": "Maddie",
    "Maria Grazia": "Mariagrazia", "Anna Maria": "Annamaria", "Gian Marco": "Gianmarco",
}  # fmt: skip

# International people: first names, last names and, when living abroad, places.
# Phone templates: country prefix, then digits where "#" is random (validated later).
INTERNATIONAL = {
    "DE": {
        "first": ("Jürgen", "Lukas", "Lena", "Anna", "Zoë", "Maximilian", "Jörg", "Katharina"),
        "last": ("Müller", "Schmidt", "Weber", "Schäfer", "Fischer", "Wagner", "Köhler"),
        "places": (("Berlin", "10115", "BE"), ("München", "80331", "BY"), ("Köln", "50667", "NW")),
        "mobile": "+49 15# ########",
        "streets": ("Hauptstraße", "Bahnhofstraße", "Gartenweg", "Schillerstraße"),
    },
    "ES": {
        "first": ("José", "María", "Lucía", "Álvaro", "Inés", "Sergio", "Nuria"),
        "last": ("García", "Fernández", "López", "Martínez", "Sánchez", "Muñoz"),
        "places": (
            ("Madrid", "28013", "M"), ("Barcelona", "08001", "B"), ("Valencia", "46002", "V"),
        ),
        "mobile": "+34 6## ### ###",
        "streets": ("Calle Mayor", "Calle de Alcalá", "Avenida Diagonal", "Calle Colón"),
    },
    "FR": {
        "first": ("Chloé", "François", "Hélène", "Théo", "Zoë", "Amélie", "Jérôme"),
        "last": ("Dubois", "Lefèvre", "Moreau", "Girard", "Bernard", "Faure"),
        "places": (("Paris", "75011", ""), ("Lyon", "69002", ""), ("Nice", "06000", "")),
        "mobile": "+33 6 ## ## ## ##",
        "streets": ("Rue de la Paix", "Rue Victor Hugo", "Boulevard Voltaire", "Rue Pasteur"),
    },
    "VN": {
        "first": ("Minh", "Linh", "Thảo", "Huy", "Trang"),
        "last": ("Nguyen", "Tran", "Pham", "Le", "Hoang"),
        "places": (("Paris", "75013", ""),),
        "country_abroad": "FR",
        "mobile": "+33 7 ## ## ## ##",
        "streets": ("Avenue de Choisy", "Rue de Tolbiac"),
    },
    "GB": {
        "first": ("Oliver", "Emma", "Siobhán", "Aoife", "Harry", "Charlotte", "Seán"),
        "last": ("Smith", "Jones", "O'Brien", "Murphy", "Walsh", "Taylor"),
        "places": (
            ("London", "EC1A 1BB", ""), ("Manchester", "M1 1AE", ""), ("Leeds", "LS1 4DY", ""),
        ),
        "mobile": "+44 7### ######",
        "streets": ("High Street", "Station Road", "Church Lane", "Victoria Road"),
    },
    "PL": {
        "first": ("Łukasz", "Agnieszka", "Paweł", "Małgorzata"),
        "last": ("Kowalski", "Wiśniewska", "Nowak", "Wójcik"),
        "places": (("Warszawa", "00-001", ""), ("Kraków", "31-001", "")),
        "mobile": "+48 5## ### ###",
        "streets": ("ulica Marszałkowska", "ulica Floriańska"),
    },
    "DK": {
        "first": ("Søren", "Mette", "Björn", "Astrid"),
        "last": ("Jensen", "Nielsen", "Johansson", "Sørensen"),
        "places": (("København", "1050", ""), ("Aarhus", "8000", "")),
        "mobile": "+45 2# ## ## ##",
        "streets": ("Strøget", "Nørrebrogade"),
    },
    "NL": {
        "first": ("Daan", "Zoë", "Sanne", "Bram"),
        "last": ("de Vries", "Jansen", "van Dijk", "Bakker"),
        "places": (("Amsterdam", "1012 JS", ""), ("Utrecht", "3511 AA", "")),
        "mobile": "+31 6 ########",
        "streets": ("Kalverstraat", "Prinsengracht"),
    },
    "US": {
        "first": ("Emily", "Jacob", "Madison", "Ethan", "Olivia"),
        "last": ("Johnson", "Williams", "Brown", "Miller", "Davis"),
        "places": (
            ("New York", "10001", "NY"), ("Boston", "02108", "MA"), ("Chicago", "60601", "IL"),
        ),
        "mobile": "+1 ### ### ####",
        "streets": ("Main Street", "Park Avenue", "Elm Street", "Oak Street"),
    },
    "TR": {
        "first": ("Ayşe", "Emre", "Elif", "Murat"),
        "last": ("Yılmaz", "Kaya", "Demir", "Şahin"),
        "places": (("İstanbul", "34000", ""),),
        "mobile": "+90 5## ### ## ##",
        "streets": ("İstiklal Caddesi", "Bağdat Caddesi"),
    },
}  # fmt: skip

# Italian places: (city, real CAPs, province code, telephone area code).
IT_PLACES = (
    ("Milano", ("20121", "20122", "20123", "20124", "20129", "20135", "20154"), "MI", "02"),
    ("Roma", ("00184", "00185", "00186", "00187", "00192", "00197", "00153"), "RM", "06"),
    ("Torino", ("10121", "10122", "10123", "10128", "10138"), "TO", "011"),
    ("Napoli", ("80121", "80132", "80133", "80134"), "NA", "081"),
    ("Bologna", ("40121", "40122", "40124", "40126"), "BO", "051"),
    ("Firenze", ("50122", "50123", "50125", "50129"), "FI", "055"),
    ("Genova", ("16121", "16122", "16128"), "GE", "010"),
    ("Palermo", ("90133", "90138", "90141"), "PA", "091"),
    ("Bari", ("70121", "70122"), "BA", "080"),
    ("Catania", ("95121", "95124"), "CT", "095"),
    ("Venezia", ("30121", "30122"), "VE", "041"),
    ("Verona", ("37121", "37122"), "VR", "045"),
    ("Padova", ("35121", "35122"), "PD", "049"),
    ("Trieste", ("34121", "34122"), "TS", "040"),
    ("Brescia", ("25121", "25122"), "BS", "030"),
    ("Bergamo", ("24121", "24122"), "BG", "035"),
    ("Monza", ("20900",), "MB", "039"),
    ("Como", ("22100",), "CO", "031"),
    ("Cantù", ("22063",), "CO", "031"),
    ("Varese", ("21100",), "VA", "0332"),
    ("Parma", ("43121", "43122"), "PR", "0521"),
    ("Modena", ("41121", "41122"), "MO", "059"),
    ("Reggio Emilia", ("42121", "42122"), "RE", "0522"),
    ("Forlì", ("47121", "47122"), "FC", "0543"),
    ("Rimini", ("47921", "47923"), "RN", "0541"),
    ("Ferrara", ("44121", "44122"), "FE", "0532"),
    ("Perugia", ("06121", "06122"), "PG", "075"),
    ("Ancona", ("60121", "60122"), "AN", "071"),
    ("Pescara", ("65121", "65122"), "PE", "085"),
    ("L'Aquila", ("67100",), "AQ", "0862"),
    ("Cagliari", ("09121", "09124"), "CA", "070"),
    ("Sassari", ("07100",), "SS", "079"),
    ("Lecce", ("73100",), "LE", "0832"),
    ("Salerno", ("84121", "84122"), "SA", "089"),
    ("Reggio Calabria", ("89121", "89122"), "RC", "0965"),
    ("Trento", ("38121", "38122"), "TN", "0461"),
    ("Bolzano", ("39100",), "BZ", "0471"),
    ("Udine", ("33100",), "UD", "0432"),
    ("Treviso", ("31100",), "TV", "0422"),
    ("Vicenza", ("36100",), "VI", "0444"),
    ("Pisa", ("56121", "56125"), "PI", "050"),
    ("Lucca", ("55100",), "LU", "0583"),
    ("Siena", ("53100",), "SI", "0577"),
    ("Aosta", ("11100",), "AO", "0165"),
)  # fmt: skip
# Bigger cities come up more often.
IT_PLACE_WEIGHTS = tuple(
    {"Milano": 14, "Roma": 12, "Torino": 6, "Napoli": 6, "Bologna": 5, "Firenze": 5}.get(p[0], 1)
    for p in IT_PLACES
)

IT_STREETS = (
    "Via Roma", "Via Garibaldi", "Corso Vittorio Emanuele II", "Via Dante Alighieri",
    "Viale della Repubblica", "Piazza della Libertà", "Via Giuseppe Verdi", "Via Mazzini",
    "Via Cavour", "Corso Italia", "Via XX Settembre", "Via Nazionale", "Via dei Mille",
    "Via Alessandro Manzoni", "Viale Europa", "Via Guglielmo Marconi", "Via Giacomo Matteotti",
    "Via Antonio Gramsci", "Via Giacomo Leopardi", "Via Torino", "Via San Francesco d'Assisi",
    "Largo Augusto", "Via Nicolò Tommaseo", "Borgo Santa Croce",
)  # fmt: skip
ADDRESS_LINE_2 = ("Scala B, interno 4", "Piano 3", "Interno 12", "c/o Studio Associato", "Scala A")

# Fictional companies: (name, domain label for work emails).
COMPANIES = (
    ("Rossi Arredamenti S.r.l.", "rossiarredamenti"),
    ("Tecnoservizi Srl", "tecnoservizi"),
    ("Studio Legale Bianchi & Associati", "studiobianchi"),
    ("Ferramenta Colombo", "ferramentacolombo"),
    ("Pasticceria Marino", "pasticceriamarino"),
    ("Officine Meccaniche Lombarde S.p.A.", "oml"),
    ("Vini del Chianti Srl", "vinidelchianti"),
    ("Agenzia Viaggi Sole e Mare", "solemare"),
    ("Edilnord S.r.l.", "edilnord"),
    ("Farmacia Centrale Dott. Greco", "farmaciacentrale"),
    ("Logistica Adriatica S.p.A.", "logisticaadriatica"),
    ("Cooperativa Sociale Il Girasole", "ilgirasole"),
    ("Hotel Bellavista", "hotelbellavista"),
    ("Caseificio Emiliano", "caseificioemiliano"),
    ("InfoTech Italia Srl", "infotechitalia"),
    ("Nuova Tessitura Comasca", "tessituracomasca"),
    ("Oleificio Pugliese S.a.s.", "oleificiopugliese"),
    ("Bottega del Caffè", "bottegadelcaffe"),
    ("Graphica Design Studio", "graphica"),
    ("Centro Medico Sabaudo", "centromedicosabaudo"),
    ("Acme Digital Srl", "acmedigital"),
    ("Bianchi & Figli S.n.c.", "bianchiefigli"),
    ("Müller Maschinenbau GmbH", "mueller-maschinenbau"),
    ("Ibérica Foods S.L.", "ibericafoods"),
    ("Atelier Dubois SARL", "atelierdubois"),
    ("Northwind Traders Ltd", "northwind"),
    ("Fabrikam Inc.", "fabrikam"),
)
JOB_TITLES = (
    "Marketing Manager", "Responsabile acquisti", "CEO", "Titolare", "Office Manager",
    "Sales Director", "Responsabile IT", "Amministratore delegato", "Product Manager",
    "Consulente", "Architetto", "Commercialista", "HR Manager", "CTO", "Designer",
    "Ingegnere", "Responsabile marketing", "Store Manager",
)  # fmt: skip

# Personal mailboxes only on reserved example domains (RFC 2606): the demo never emails anyone.
PERSONAL_DOMAINS = (
    "example.com", "example.net", "example.org", "mail.example", "posta.example", "inbox.example",
)  # fmt: skip
WORK_DOMAIN_SUFFIX = ".example"

# Italian mobile prefixes (TIM, Vodafone, WindTre, Iliad, ...).
IT_MOBILE_PREFIXES = (
    "320", "324", "327", "328", "329", "330", "331", "333", "334", "335", "336", "337",
    "338", "339", "340", "342", "345", "346", "347", "348", "349", "351", "366", "368",
    "377", "380", "388", "389", "391", "392", "393",
)  # fmt: skip

WEB_FORMS = {
    # form id -> (what it is, share of web form rows)
    "contatti": ("contact form", 45),
    "richiesta-demo": ("demo request", 25),
    "iscrizione-webinar": ("webinar sign-up", 30),
}
WEB_MESSAGES = (
    "Vorrei ricevere un preventivo.",
    "Potete richiamarmi in mattinata?",
    "Interessati alla versione per aziende.",
    "Avete un rivenditore nella mia zona?",
    "Vorrei una demo per il mio team.",
    "Informazioni sui prezzi, grazie.",
    "",
)
NEWSLETTER_TAGS = ("ebook", "webinar", "promo-estate", "blog")
UTM_SOURCES = ("google", "linkedin", "newsletter", "facebook", "direct", "")
