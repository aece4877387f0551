"""Name, place and company material for the benchmark generator (bench/generate.py).

Lists are ordered roughly by frequency (most common first); the generator weights them
with a Zipf-like curve, so common surnames such as Rossi, Russo and Ferrari collide often,
as they do in real Italian data.
"""

# Italian surnames, most frequent first (ISTAT-style ordering, approximate).
IT_SURNAMES = """
Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo Conti
De_Luca Mancini Costa Giordano Rizzo Lombardi Moretti Barbieri Fontana Santoro Mariani
Rinaldi Caruso Ferrara Galli Martini Leone Longo Gentile Martinelli Vitale Lombardo Serra
Coppola De_Santis D'Angelo Marchetti Parisi Villa Conte Ferraro Ferri Fabbri Bianco Marini
Grasso Valentini Messina Sala De_Angelis Gatti Pellegrini Palumbo Sanna Farina Rizzi Monti
Cattaneo Morelli Amato Silvestri Mazza Testa Grassi Pellegrino Carbone Giuliani Benedetti
Barone Rossetti Caputo Montanari Guerra Palmieri Bernardi Martino Fiore De_Rosa Ferretti
Bellini Basile Riva Donati Piras Vitali Battaglia Sartori Neri Costantini Milani Pagano
Ruggiero Sorrentino D'Amico Orlando Negri Mele Longhi Gallo Cirillo Ricciardi Bellucci
Fumagalli Brambilla Ferrario Mazzola Pace Marchi Bassi Fabbri D'Agostino Poli Lorenzi
Cristiani Zanetti Zanella Bertolini Bonetti Orlandi Benetti Gualtieri Melis Porcu Deiana
Pinna Murgia Cocco Sechi Piccolo Galante Russi Mancuso Ferrante Marra Cocco Fusco Gatto
De_Simone Napolitano Santini D'Alessandro Pace Valente Ferro Guidi Carrara Rinaldi Bonomi
Vitiello Palma Riccardi Morello Tedesco Fiorentino Galli Sartini Fiorini Cavallo Martino
Bernardini Cattani Gori Parodi Rota Pastore Bertoni Olivieri Coppola Marchesi Bellini
Cozzi Tosi Baldini Franco Monaco Sanna Antonelli Cappelli Cocchi De_Marco Giorgi Mazzoni
Ferraris Lupo Ruggeri Grillo Fabbrini Palladino Di_Stefano Di_Giacomo Di_Pietro Di_Lorenzo
Di_Benedetto Di_Maio La_Rosa Lo_Russo Lo_Presti Dell'Orto Della_Valle Degli_Esposti
Mazzei Nicoletti Pirovano Righi Sarti Tagliaferri Ughi Vanni Zamboni Zanetti Zappa Zito
Aiello Arena Bonanno Calabrese Catalano Ciccone Cuomo D'Aniello Esposti Falco Fede Gallina
Iannone Laurenti Liguori Manzo Marotta Mastrangelo Nardi Nocera Pagliaro Pepe Perrone
Quaranta Rampini Sacco Salvi Scala Schiavone Sepe Spinelli Stella Tortora Vaccaro Venturi
Zanotti
""".split()

# International surnames (residents and visitors at fairs).
INT_SURNAMES = """
Smith Müller García Martin Dubois Schmidt Johnson Fernández Novak Kowalski Nowak Popescu
Ionescu Silva Santos Jansen De_Jong Andersson Nielsen O'Brien Murphy Wang Li Zhang Chen Kim
Nguyen Ahmed Khan Singh Kumar Hoxha Shehu Williams Brown Jones Taylor Wilson Schneider
Fischer Weber Meyer Wagner Becker Hoffmann Lefebvre Moreau Laurent Girard Rodríguez
López Martínez Sánchez Pérez Gómez Ferreira Pereira Costa Oliveira Horvat Kovačević Łukasiewicz
Ștefănescu Yılmaz Kaya Petrov Ivanov Sokolov Haddad El_Amrani Benali Okafor Mensah
""".split()

IT_MALE = """
Francesco Alessandro Lorenzo Andrea Leonardo Mattia Gabriele Riccardo Tommaso Edoardo
Giuseppe Marco Antonio Giovanni Luca Matteo Davide Federico Simone Stefano Roberto Paolo
Massimo Daniele Emanuele Fabio Michele Salvatore Vincenzo Luigi Pietro Giorgio Domenico
Claudio Alberto Sergio Mario Carlo Enrico Filippo Giacomo Nicola Maurizio Raffaele
Massimiliano Gianluca Cristian Diego Emilio Fabrizio Franco Bruno Angelo Umberto Gianni
Ivan Nicolò Niccolò Samuele Christian Alessio Manuel Jacopo Elia Dario Ettore Ugo Renato
Vittorio Guido Silvio Piero Aldo Arturo Cesare Enzo Flavio Gino Ignazio Leone Orazio
Ottavio Raimondo Rocco Sandro Tiziano Valerio Walter Gian_Marco Pier_Paolo
""".split()

IT_FEMALE = """
Sofia Giulia Aurora Alice Ginevra Emma Giorgia Greta Beatrice Anna Maria Francesca Chiara
Sara Laura Valentina Alessandra Elena Federica Silvia Martina Paola Roberta Simona Cristina
Elisa Barbara Monica Claudia Daniela Giovanna Antonella Patrizia Rita Lucia Teresa Angela
Carla Marta Ilaria Serena Veronica Michela Stefania Manuela Eleonora Caterina Margherita
Elisabetta Giuseppina Rosa Carmela Luisa Franca Gabriella Lorenza Noemi Arianna Camilla
Vittoria Ludovica Rebecca Nicole Irene Chiara Bianca Matilde Viola Adele Ada Agnese Nadia
Ornella Rosalba Tiziana Vanessa Debora Erika Jessica Maria_Grazia Anna_Maria Maria_Luisa
""".split()

INT_MALE = """
John Michael David James Robert William Thomas Daniel Peter Paul Hans Klaus Jürgen Pierre
Jean François José Carlos Juan Miguel João Pedro Jan Piotr Łukasz Andrei Ștefan Mehmet
Ahmed Mohamed Wei Jun Min-jun Arjun Rahul Kwame Olumide Sven Lars Björn Søren Dmitri Ivan
""".split()

INT_FEMALE = """
Mary Jennifer Elizabeth Sarah Emily Katherine Anna Julia Sophie Marie Camille Chloé Lucía
Carmen Ana Beatriz Inês Agnieszka Katarzyna Ioana Elif Ayşe Fatima Aisha Li_Na Mei Priya
Ingrid Astrid Freya Zoë Olga Natalia
""".split()

NICKNAMES = {
    "Giuseppe": ["Beppe", "Peppe", "Pino"],
    "Francesco": ["Franco", "Checco", "Cesco"],
    "Alessandro": ["Alex", "Sandro", "Ale"],
    "Alessandra": ["Sandra", "Ale"],
    "Roberto": ["Robi", "Berto"],
    "Antonio": ["Toni", "Totò", "Tonino"],
    "Giovanni": ["Gianni", "Nanni", "Vanni"],
    "Salvatore": ["Totò", "Salvo"],
    "Domenico": ["Mimmo", "Mimì"],
    "Vincenzo": ["Enzo"],
    "Massimiliano": ["Max", "Massi"],
    "Massimo": ["Max"],
    "Federico": ["Fede"],
    "Federica": ["Fede"],
    "Elisabetta": ["Betta", "Elisa"],
    "Margherita": ["Rita", "Marghe"],
    "Caterina": ["Katia", "Rina"],
    "Giuseppina": ["Pina", "Giusy"],
    "Francesca": ["Franca", "Fra"],
    "Emanuele": ["Manu", "Lele"],
    "Gabriele": ["Lele", "Gabri"],
    "Daniele": ["Dani"],
    "Simona": ["Simo"],
    "Beatrice": ["Bea"],
    "Valentina": ["Vale"],
    "Luigi": ["Gigi"],
    "Filippo": ["Pippo"],
    "Giacomo": ["Jack"],
    "Riccardo": ["Ricky"],
    "Maria Grazia": ["Mariagrazia", "Grazia"],
    "Anna Maria": ["Annamaria"],
    "Maria Luisa": ["Marialuisa"],
    "Gian Marco": ["Gianmarco"],
    "Pier Paolo": ["Pierpaolo"],
    "Nicolò": ["Niccolò", "Nicolo", "Nico"],
    "Niccolò": ["Nicolò", "Nico"],
    "Lorenzo": ["Lollo"],
    "Cristian": ["Christian"],
    "Christian": ["Cristian"],
    "William": ["Bill", "Will"],
    "Robert": ["Bob", "Rob"],
    "Elizabeth": ["Liz", "Beth"],
    "Michael": ["Mike"],
    "Katherine": ["Kate", "Katie"],
    "Thomas": ["Tom"],
    "Daniel": ["Dan"],
    "James": ["Jim"],
    "Peter": ["Pete"],
    "Jennifer": ["Jen"],
}

# (city, English name or None, province, first CAP, number of CAPs, population weight)
IT_CITIES = [
    ("Roma", "Rome", "RM", 100, 99, 2750),
    ("Milano", "Milan", "MI", 20121, 42, 1370),
    ("Napoli", "Naples", "NA", 80121, 27, 910),
    ("Torino", "Turin", "TO", 10121, 36, 840),
    ("Palermo", None, "PA", 90121, 30, 630),
    ("Genova", "Genoa", "GE", 16121, 46, 560),
    ("Bologna", None, "BO", 40121, 21, 390),
    ("Firenze", "Florence", "FI", 50121, 25, 360),
    ("Bari", None, "BA", 70121, 11, 315),
    ("Catania", None, "CT", 95121, 11, 300),
    ("Venezia", "Venice", "VE", 30121, 55, 255),
    ("Verona", None, "VR", 37121, 22, 255),
    ("Messina", None, "ME", 98121, 47, 225),
    ("Padova", "Padua", "PD", 35121, 22, 210),
    ("Trieste", None, "TS", 34121, 30, 200),
    ("Brescia", None, "BS", 25121, 15, 196),
    ("Parma", None, "PR", 43121, 5, 198),
    ("Taranto", None, "TA", 74121, 2, 190),
    ("Prato", None, "PO", 59100, 1, 195),
    ("Modena", None, "MO", 41121, 5, 185),
    ("Reggio Calabria", None, "RC", 89121, 14, 175),
    ("Reggio Emilia", None, "RE", 42121, 3, 170),
    ("Perugia", None, "PG", 6121, 12, 165),
    ("Livorno", None, "LI", 57121, 8, 155),
    ("Ravenna", None, "RA", 48121, 4, 155),
    ("Cagliari", None, "CA", 9121, 14, 150),
    ("Foggia", None, "FG", 71121, 1, 148),
    ("Rimini", None, "RN", 47921, 3, 150),
    ("Salerno", None, "SA", 84121, 14, 128),
    ("Ferrara", None, "FE", 44121, 3, 130),
    ("Sassari", None, "SS", 7100, 1, 125),
    ("Latina", None, "LT", 4100, 1, 127),
    ("Monza", None, "MB", 20900, 1, 123),
    ("Bergamo", None, "BG", 24121, 8, 120),
    ("Pescara", None, "PE", 65121, 9, 119),
    ("Trento", None, "TN", 38121, 2, 118),
    ("Forlì", None, "FC", 47121, 2, 117),
    ("Vicenza", None, "VI", 36100, 1, 111),
    ("Bolzano", None, "BZ", 39100, 1, 107),
    ("Novara", None, "NO", 28100, 1, 104),
    ("Piacenza", None, "PC", 29121, 2, 103),
    ("Ancona", None, "AN", 60121, 11, 100),
    ("Udine", None, "UD", 33100, 1, 99),
    ("Arezzo", None, "AR", 52100, 1, 98),
    ("Cesena", None, "FC", 47521, 2, 96),
    ("Lecce", None, "LE", 73100, 1, 95),
    ("Pesaro", None, "PU", 61121, 2, 95),
    ("La Spezia", None, "SP", 19121, 16, 93),
    ("Como", None, "CO", 22100, 1, 84),
    ("Pisa", None, "PI", 56121, 4, 90),
    ("Varese", None, "VA", 21100, 1, 80),
    ("Treviso", None, "TV", 31100, 1, 85),
    ("Siena", None, "SI", 53100, 1, 53),
    ("Cosenza", None, "CS", 87100, 1, 65),
    ("Lucca", None, "LU", 55100, 1, 89),
    ("Aosta", None, "AO", 11100, 1, 34),
    ("Potenza", None, "PZ", 85100, 1, 66),
    ("Campobasso", None, "CB", 86100, 1, 48),
    ("L'Aquila", None, "AQ", 67100, 1, 69),
    ("Catanzaro", None, "CZ", 88100, 1, 86),
    ("Cantù", None, "CO", 22063, 1, 40),
    ("San Donà di Piave", None, "VE", 30027, 1, 41),
    ("Città di Castello", None, "PG", 6012, 1, 39),
]

# (city, country code, postcode pattern, phone prefix, national digits after prefix)
FOREIGN = [
    ("London", "GB", "SW1A {d}AA", "+44 7400", 6),
    ("Berlin", "DE", "10{d}{d}{d}", "+49 151", 8),
    ("München", "DE", "80{d}{d}{d}", "+49 160", 8),
    ("Paris", "FR", "750{d}{d}", "+33 6 1", 7),
    ("Lyon", "FR", "6900{d}", "+33 7 8", 7),
    ("Madrid", "ES", "280{d}{d}", "+34 612", 6),
    ("Barcelona", "ES", "080{d}{d}", "+34 622", 6),
    ("Zürich", "CH", "80{d}{d}", "+41 79", 7),
    ("Lugano", "CH", "690{d}", "+41 78", 7),
    ("Wien", "AT", "1{d}{d}0", "+43 664", 7),
]

STREETS = """
Roma Garibaldi Mazzini Cavour Dante Verdi Marconi Matteotti Gramsci Vittorio_Emanuele_II
Kennedy Manzoni Leopardi Carducci Pascoli Puccini Rossini Galilei Volta Colombo Diaz
XX_Settembre IV_Novembre XXV_Aprile Repubblica Libertà Europa Italia Nazionale Dei_Mille
San_Francesco Santa_Maria San_Giovanni Milano Torino Napoli Firenze Venezia Trieste
Aldo_Moro De_Gasperi Don_Minzoni Fratelli_Bandiera Risorgimento Indipendenza Solferino
Montegrappa Piave Isonzo Tagliamento Po Tevere Adige Dei_Tigli Delle_Rose Dei_Pini
""".split()

STREET_KINDS = [
    ("Via", 70),
    ("Viale", 10),
    ("Piazza", 7),
    ("Corso", 8),
    ("Largo", 2),
    ("Vicolo", 3),
]
STREET_ABBREV = {
    "Via": ["V.", "via", "VIA"],
    "Viale": ["V.le", "viale"],
    "Piazza": ["P.zza", "P.za", "piazza"],
    "Corso": ["C.so", "corso"],
    "Largo": ["L.go"],
    "Vicolo": ["Vic.", "vicolo"],
}

COMPANY_WORDS = """
Tecno Info Euro Medi Idro Agri Edil Termo Elettro Meccanica Logistica Alimentari Tessile
Ceramiche Vetro Legno Acciai Plast Chimica Farma Bio Green Solar Energia Digital Data Cloud
Smart Nova Alfa Omega Delta Sigma Beta Gamma Italia Adriatica Tirrenica Padana Alpina
Sud Nord Centro Ovest Est Global Consulting Servizi Sistemi Progetti Soluzioni Studio
""".split()
COMPANY_SUFFIXES = [
    ("S.r.l.", 55),
    ("S.p.A.", 12),
    ("S.n.c.", 8),
    ("S.a.s.", 8),
    ("", 10),
    ("& Figli S.r.l.", 4),
    ("Srls", 3),
]
EMAIL_DOMAINS = [
    ("gmail.com", 45),
    ("libero.it", 12),
    ("hotmail.it", 8),
    ("yahoo.it", 6),
    ("outlook.it", 5),
    ("outlook.com", 4),
    ("virgilio.it", 4),
    ("tiscali.it", 3),
    ("alice.it", 3),
    ("icloud.com", 4),
    ("live.it", 3),
    ("fastwebnet.it", 2),
    ("tim.it", 1),
]
MOBILE_PREFIXES = [
    ("320", 4),
    ("324", 2),
    ("327", 3),
    ("328", 5),
    ("329", 4),
    ("330", 3),
    ("331", 3),
    ("333", 6),
    ("334", 3),
    ("335", 4),
    ("336", 2),
    ("338", 5),
    ("339", 4),
    ("340", 5),
    ("342", 2),
    ("345", 3),
    ("346", 3),
    ("347", 6),
    ("348", 5),
    ("349", 4),
    ("350", 1),
    ("351", 2),
    ("366", 1),
    ("370", 1),
    ("380", 2),
    ("388", 2),
    ("389", 2),
    ("392", 2),
    ("393", 2),
]
JOB_TITLES = [
    "CEO",
    "CTO",
    "Marketing Manager",
    "Responsabile Acquisti",
    "Sales Manager",
    "Ufficio Tecnico",
    "Titolare",
    "Amministratore Delegato",
    "Project Manager",
    "Impiegato",
    "Buyer",
    "Direttore Commerciale",
    "Consulente",
    "HR Manager",
    "Product Manager",
    "Responsabile IT",
    "Store Manager",
    "Agente di commercio",
]
EVENTS = [
    "Fiera Milano Host 2025",
    "Cosmoprof Bologna 2025",
    "Vinitaly Verona 2025",
    "Salone del Mobile 2025",
    "SMAU Milano 2025",
    "Ecomondo Rimini 2025",
    "Marca Bologna 2026",
    "MECSPE Bologna 2026",
    "Web Marketing Festival 2025",
]
