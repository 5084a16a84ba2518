# ruff: noqa: E501 — the ticket templates are sentences; one per line reads better than wrapped strings
"""A generated multilingual help-desk history for the learning triage's tests and benchmark.

Tickets in en, tr, de, fr, es and pt about a dozen topics, each topic belonging to a department and a
category; priority follows from urgency or calm words in the text. Noise: random filler phrases, shuffled
word order in part of the texts, and a share of labels that agents set differently (`noise`). Deterministic
for a given seed.
"""

import random
from dataclasses import dataclass

LANGUAGES = ("en", "tr", "de", "fr", "es", "pt")

# (department, category, {language: (title, description)}); {x} is filled with a random detail.
TOPICS = (
    ("it", "incident", {
        "en": ("Printer {x} is broken", "The printer on floor {x} shows an error and does not print anything."),
        "tr": ("Yazıcı {x} bozuk", "Kat {x} yazıcısı hata veriyor ve hiçbir şey yazdırmıyor."),
        "de": ("Drucker {x} ist kaputt", "Der Drucker im Stock {x} zeigt einen Fehler und druckt nichts."),
        "fr": ("L'imprimante {x} est en panne", "L'imprimante de l'étage {x} affiche une erreur et n'imprime rien."),
        "es": ("La impresora {x} no funciona", "La impresora de la planta {x} muestra un error y no imprime nada."),
        "pt": ("A impressora {x} está quebrada", "A impressora do andar {x} mostra um erro e não imprime nada."),
    }),
    ("it", "incident", {
        "en": ("Laptop crashes", "My laptop {x} crashes with a blue screen every morning after the update."),
        "tr": ("Dizüstü bilgisayar çöküyor", "Dizüstü bilgisayarım {x} güncellemeden sonra her sabah mavi ekran veriyor."),
        "de": ("Laptop stürzt ab", "Mein Laptop {x} stürzt seit dem Update jeden Morgen mit einem Bluescreen ab."),
        "fr": ("L'ordinateur portable plante", "Mon ordinateur portable {x} plante avec un écran bleu chaque matin depuis la mise à jour."),
        "es": ("El portátil se bloquea", "Mi portátil {x} se bloquea con una pantalla azul cada mañana desde la actualización."),
        "pt": ("O notebook trava", "Meu notebook {x} trava com tela azul toda manhã depois da atualização."),
    }),
    ("it", "access", {
        "en": ("Cannot log in", "I forgot my password and my account {x} is locked, I cannot log in to the VPN."),
        "tr": ("Giriş yapamıyorum", "Şifremi unuttum ve {x} hesabım kilitlendi, VPN'e giriş yapamıyorum."),
        "de": ("Anmeldung nicht möglich", "Ich habe mein Passwort vergessen, mein Konto {x} ist gesperrt und das VPN geht nicht."),
        "fr": ("Impossible de me connecter", "J'ai oublié mon mot de passe et mon compte {x} est bloqué, je ne peux pas me connecter au VPN."),
        "es": ("No puedo iniciar sesión", "Olvidé mi contraseña y mi cuenta {x} está bloqueada, no puedo entrar en la VPN."),
        "pt": ("Não consigo entrar", "Esqueci minha senha e minha conta {x} está bloqueada, não consigo acessar a VPN."),
    }),
    ("it", "request", {
        "en": ("New monitor needed", "Please order a second monitor and a docking station for desk {x}."),
        "tr": ("Yeni monitör lazım", "Lütfen {x} numaralı masa için ikinci bir monitör ve yerleştirme istasyonu sipariş edin."),
        "de": ("Neuer Bildschirm benötigt", "Bitte bestellen Sie einen zweiten Bildschirm und eine Dockingstation für Platz {x}."),
        "fr": ("Besoin d'un nouvel écran", "Merci de commander un deuxième écran et une station d'accueil pour le bureau {x}."),
        "es": ("Necesito un monitor nuevo", "Por favor pidan un segundo monitor y una estación de acoplamiento para el puesto {x}."),
        "pt": ("Preciso de um monitor novo", "Por favor encomendem um segundo monitor e uma dock station para a mesa {x}."),
    }),
    ("billing", "billing", {
        "en": ("Invoice {x} is wrong", "We were charged twice on invoice {x}, please send a corrected invoice."),
        "tr": ("{x} numaralı fatura hatalı", "{x} numaralı faturada iki kez ücret alındı, lütfen düzeltilmiş fatura gönderin."),
        "de": ("Rechnung {x} ist falsch", "Auf der Rechnung {x} wurde uns doppelt berechnet, bitte schicken Sie eine korrigierte Rechnung."),
        "fr": ("La facture {x} est erronée", "Nous avons été débités deux fois sur la facture {x}, merci d'envoyer une facture corrigée."),
        "es": ("La factura {x} es incorrecta", "Nos cobraron dos veces en la factura {x}, por favor envíen una factura corregida."),
        "pt": ("A fatura {x} está errada", "Fomos cobrados duas vezes na fatura {x}, por favor enviem uma fatura corrigida."),
    }),
    ("billing", "billing", {
        "en": ("Refund for order {x}", "I cancelled my subscription but the payment for order {x} was not refunded."),
        "tr": ("{x} siparişi için iade", "Aboneliğimi iptal ettim ama {x} siparişinin ödemesi iade edilmedi."),
        "de": ("Erstattung für Bestellung {x}", "Ich habe mein Abonnement gekündigt, aber die Zahlung für Bestellung {x} wurde nicht erstattet."),
        "fr": ("Remboursement de la commande {x}", "J'ai résilié mon abonnement mais le paiement de la commande {x} n'a pas été remboursé."),
        "es": ("Reembolso del pedido {x}", "Cancelé mi suscripción pero el pago del pedido {x} no fue reembolsado."),
        "pt": ("Reembolso do pedido {x}", "Cancelei minha assinatura mas o pagamento do pedido {x} não foi reembolsado."),
    }),
    ("billing", "question", {
        "en": ("Question about prices", "How can I see the prices of plan {x} before I pay?"),
        "tr": ("Fiyatlar hakkında soru", "{x} planının fiyatlarını ödemeden önce nasıl görebilirim?"),
        "de": ("Frage zu den Preisen", "Wie kann ich die Preise des Tarifs {x} sehen, bevor ich bezahle?"),
        "fr": ("Question sur les tarifs", "Comment puis-je voir les tarifs de l'offre {x} avant de payer ?"),
        "es": ("Pregunta sobre precios", "¿Cómo puedo ver los precios del plan {x} antes de pagar?"),
        "pt": ("Pergunta sobre preços", "Como posso ver os preços do plano {x} antes de pagar?"),
    }),
    ("hr", "question", {
        "en": ("Leave balance", "How many vacation days do I have left this year? My employee number is {x}."),
        "tr": ("İzin bakiyesi", "Bu yıl kaç gün yıllık iznim kaldı? Personel numaram {x}."),
        "de": ("Resturlaub", "Wie viele Urlaubstage habe ich dieses Jahr noch? Meine Personalnummer ist {x}."),
        "fr": ("Solde de congés", "Combien de jours de congé me reste-t-il cette année ? Mon matricule est {x}."),
        "es": ("Días de vacaciones", "¿Cuántos días de vacaciones me quedan este año? Mi número de empleado es {x}."),
        "pt": ("Saldo de férias", "Quantos dias de férias ainda tenho este ano? Minha matrícula é {x}."),
    }),
    ("hr", "request", {
        "en": ("Employment certificate", "Please send me an employment certificate and my last payslip, reference {x}."),
        "tr": ("Çalışma belgesi", "Lütfen bana bir çalışma belgesi ve son maaş bordromu gönderin, referans {x}."),
        "de": ("Arbeitsbescheinigung", "Bitte schicken Sie mir eine Arbeitsbescheinigung und meine letzte Gehaltsabrechnung, Referenz {x}."),
        "fr": ("Attestation de travail", "Merci de m'envoyer une attestation de travail et ma dernière fiche de paie, référence {x}."),
        "es": ("Certificado de empleo", "Por favor envíenme un certificado de empleo y mi última nómina, referencia {x}."),
        "pt": ("Declaração de trabalho", "Por favor enviem uma declaração de trabalho e meu último holerite, referência {x}."),
    }),
    ("hr", "billing", {
        "en": ("Salary not paid", "My salary for month {x} has not arrived, the payroll seems wrong."),
        "tr": ("Maaş yatmadı", "{x}. ayın maaşım yatmadı, bordroda bir hata var gibi."),
        "de": ("Gehalt nicht gezahlt", "Mein Gehalt für Monat {x} ist nicht angekommen, die Lohnabrechnung scheint falsch."),
        "fr": ("Salaire non versé", "Mon salaire du mois {x} n'est pas arrivé, la paie semble erronée."),
        "es": ("Salario no pagado", "Mi salario del mes {x} no ha llegado, la nómina parece incorrecta."),
        "pt": ("Salário não pago", "Meu salário do mês {x} não caiu, a folha de pagamento parece errada."),
    }),
)  # fmt: skip

URGENT = {"en": "This is urgent, we cannot work.", "tr": "Bu çok acil, çalışamıyoruz.",
          "de": "Das ist dringend, wir können nicht arbeiten.", "fr": "C'est urgent, nous ne pouvons pas travailler.",
          "es": "Es urgente, no podemos trabajar.", "pt": "É urgente, não conseguimos trabalhar."}  # fmt: skip
CALM = {"en": "No rush, whenever you have time.", "tr": "Acelesi yok, vaktiniz olduğunda.",
        "de": "Keine Eile, wenn Sie Zeit haben.", "fr": "Rien de pressé, quand vous aurez le temps.",
        "es": "Sin prisa, cuando tengan tiempo.", "pt": "Sem pressa, quando tiverem tempo."}  # fmt: skip
FILLER = {"en": ("Thanks.", "Best regards.", "Hello team,"), "tr": ("Teşekkürler.", "İyi çalışmalar.", "Merhaba,"),
          "de": ("Danke.", "Viele Grüße.", "Hallo zusammen,"), "fr": ("Merci.", "Cordialement.", "Bonjour,"),
          "es": ("Gracias.", "Saludos.", "Hola,"), "pt": ("Obrigado.", "Atenciosamente.", "Olá,")}  # fmt: skip
CATEGORIES = ("question", "incident", "request", "access", "billing")
PRIORITIES = ("low", "normal", "high", "urgent")


@dataclass(frozen=True)
class HistoryTicket:
    title: str
    description: str
    language: str
    department: str  # "it", "billing" or "hr"
    category: str
    priority: str


def generate(count: int, *, seed: int = 7, noise: float = 0.1, languages=LANGUAGES) -> list[HistoryTicket]:
    """`count` tickets, languages and topics in turn (so every class is present), with random details and noise."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not a secret
    tickets = []
    for index in range(count):
        language = languages[index % len(languages)]
        department, category, texts = TOPICS[(index // len(languages)) % len(TOPICS)]
        title, description = (part.format(x=rng.randint(1, 999)) for part in texts[language])
        mood = rng.random()
        priority = "normal"
        if mood < 0.25:
            description += " " + URGENT[language]
            priority = "urgent" if category == "incident" else "high"
        elif mood < 0.45:
            description += " " + CALM[language]
            priority = "low"
        greeting, *closings = FILLER[language]
        if rng.random() < 0.5:
            description = f"{greeting} {description}"
        if rng.random() < 0.5:
            description += " " + rng.choice(closings)
        if rng.random() < 0.2:  # people write in no particular order
            words = description.split()
            rng.shuffle(words)
            description = " ".join(words)
        if rng.random() < noise:  # agents disagree with the "obvious" label now and then
            department = rng.choice(("it", "billing", "hr"))
        if rng.random() < noise:
            category = rng.choice(CATEGORIES)
        if rng.random() < noise:
            priority = rng.choice(PRIORITIES)
        tickets.append(HistoryTicket(title, description, language, department, category, priority))
    return tickets


def as_examples(tickets: list[HistoryTicket], *, first_id: int = 1) -> list:
    """The tickets as learning examples (ids from `first_id`, held out as the dataset holds real tickets out)."""
    from apps.ai.learning.dataset import Example, is_heldout

    return [
        Example(
            ticket_id=first_id + index,
            text=f"{ticket.title}\n\n{ticket.description}",
            language=ticket.language,
            labels={"department": ticket.department, "category": ticket.category, "priority": ticket.priority},
            heldout=is_heldout(first_id + index),
        )
        for index, ticket in enumerate(tickets)
    ]
