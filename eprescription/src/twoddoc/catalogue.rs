//! Data identifiers (DI) of perimeter `01`, C40 encoding.
//!
//! Lengths and labels from the ANTS *Spécifications techniques des codes à barres 2D-Doc*
//! (v3.1.3 to v3.2.6, §7, "Identifiants de données"). A DI is defined once for the whole
//! perimeter; each document type uses a subset of them. The message zone cannot be split
//! without this table, because fixed-length fields carry no separator (§3.4.1): a DI absent
//! from the table ends the parse and the rest is reported as unparsed, never guessed.
//!
//! Not included (to add from spec v3.3.8 when read): the customs (`C*`, `D*`, `H*`), driving
//! licence (`E*`) and caducée (`I*`) groups, and DIs added after v3.2.6 such as `4V`–`4Y`.

/// Length rule and label of one data identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataIdDefinition {
    /// The two-character identifier.
    pub id: &'static str,
    /// Fewest characters.
    pub min: u16,
    /// Most characters; `None` = unbounded.
    pub max: Option<u16>,
    /// Label of the ANTS specification.
    pub label: &'static str,
}

impl DataIdDefinition {
    /// Whether the field has a fixed length (and so no separator).
    pub fn fixed_len(&self) -> Option<usize> {
        match self.max {
            Some(max) if max == self.min => Some(usize::from(max)),
            _ => None,
        }
    }
}

macro_rules! defs {
    ($( $id:literal $min:literal $max:tt $label:literal ),* $(,)?) => {
        &[ $( DataIdDefinition { id: $id, min: $min, max: defs!(@max $max), label: $label } ),* ]
    };
    (@max U) => { None };
    (@max $n:literal) => { Some($n) };
}

/// Perimeter `01` definitions.
pub static PERIMETER_01: &[DataIdDefinition] = defs![
    "01" 0 U "Identifiant unique du document",
    "02" 0 U "Catégorie de document",
    "03" 0 U "Sous-catégorie de document",
    "04" 0 U "Application de composition",
    "05" 0 U "Version de l'application de composition",
    "06" 4 4 "Date de l'association entre le document et le code 2D-Doc",
    "07" 6 6 "Heure de l'association entre le document et le code 2D-Doc",
    "08" 4 4 "Date d'expiration du document",
    "09" 4 4 "Nombre de pages du document",
    "0A" 9 9 "Editeur du 2D-Doc",
    "0B" 9 9 "Intégrateur du 2D-Doc",
    "0C" 0 U "URL du document",
    "0D" 36 36 "UUID du document",
    "10" 0 38 "Ligne 1 de la norme adresse postale du bénéficiaire de la prestation",
    "11" 0 38 "Qualité et/ou titre de la personne bénéficiaire de la prestation",
    "12" 0 38 "Prénom de la personne bénéficiaire de la prestation",
    "13" 0 38 "Nom de la personne bénéficiaire de la prestation",
    "14" 0 38 "Ligne 1 de la norme adresse postale du destinataire de la facture",
    "15" 0 38 "Qualité et/ou titre de la personne destinataire de la facture",
    "16" 0 38 "Prénom de la personne destinataire de la facture",
    "17" 0 38 "Nom de la personne destinataire de la facture",
    "18" 0 U "Numéro de la facture",
    "19" 0 U "Numéro de client",
    "1A" 0 U "Numéro du contrat",
    "1B" 0 U "Identifiant du souscripteur du contrat",
    "1C" 8 8 "Date d'effet du contrat",
    "1D" 0 16 "Montant TTC de la facture",
    "1E" 0 30 "Numéro de téléphone du bénéficiaire de la prestation",
    "1F" 0 30 "Numéro de téléphone du destinataire de la facture",
    "1G" 1 1 "Présence d'un co-bénéficiaire de la prestation non mentionné dans le code",
    "1H" 1 1 "Présence d'un co-destinataire de la facture non mentionné dans le code",
    "1I" 0 38 "Ligne 1 de la norme adresse postale du co-bénéficiaire de la prestation",
    "1J" 0 38 "Qualité et/ou titre du co-bénéficiaire de la prestation",
    "1K" 0 38 "Prénom du co-bénéficiaire de la prestation",
    "1L" 0 38 "Nom du co-bénéficiaire de la prestation",
    "1M" 0 38 "Ligne 1 de la norme adresse postale du co-destinataire de la facture",
    "1N" 0 38 "Qualité et/ou titre du co-destinataire de la facture",
    "1O" 0 38 "Prénom du co-destinataire de la facture",
    "1P" 0 38 "Nom du co-destinataire de la facture",
    "20" 0 38 "Ligne 2 de la norme adresse postale du point de service des prestations",
    "21" 0 38 "Ligne 3 de la norme adresse postale du point de service des prestations",
    "22" 0 38 "Ligne 4 de la norme adresse postale du point de service des prestations",
    "23" 0 38 "Ligne 5 de la norme adresse postale du point de service des prestations",
    "24" 5 5 "Code postal ou code cedex du point de service des prestations",
    "25" 0 32 "Localité de destination ou libellé cedex du point de service des prestations",
    "26" 2 2 "Pays de service des prestations",
    "27" 0 38 "Ligne 2 de la norme adresse postale du destinataire de la facture",
    "28" 0 38 "Ligne 3 de la norme adresse postale du destinataire de la facture",
    "29" 0 38 "Ligne 4 de la norme adresse postale du destinataire de la facture",
    "2A" 0 38 "Ligne 5 de la norme adresse postale du destinataire de la facture",
    "2B" 5 5 "Code postal ou code cedex du destinataire de la facture",
    "2C" 0 32 "Localité de destination ou libellé cedex du destinataire de la facture",
    "2D" 2 2 "Pays du destinataire de la facture",
    "30" 0 140 "Qualité Nom et Prénom",
    "31" 14 38 "Code IBAN",
    "32" 8 11 "Code BIC/SWIFT",
    "33" 0 30 "Code BBAN",
    "34" 2 2 "Pays de localisation du compte",
    "35" 14 34 "Identifiant SEPAmail (QXBAN)",
    "36" 4 4 "Date de début de période",
    "37" 4 4 "Date de fin de période",
    "38" 0 11 "Solde compte début de période",
    "39" 0 11 "Solde compte fin de période",
    "40" 13 13 "Numéro fiscal",
    "41" 0 12 "Revenu fiscal de référence",
    "42" 0 U "Situation du foyer",
    "43" 0 5 "Nombre de parts",
    "44" 13 13 "Référence d'avis d'impôt",
    "45" 4 4 "Année des revenus",
    "46" 0 38 "Déclarant 1",
    "47" 13 13 "Numéro fiscal du déclarant 1",
    "48" 0 38 "Déclarant 2",
    "49" 13 13 "Numéro fiscal du déclarant 2",
    "4A" 8 8 "Date de mise en recouvrement",
    "50" 14 14 "SIRET de l'employeur",
    "51" 6 6 "Nombre d'heures travaillées",
    "52" 7 7 "Cumul du nombre d'heures travaillées",
    "53" 4 4 "Début de période",
    "54" 4 4 "Fin de période",
    "55" 8 8 "Date de début de contrat",
    "56" 8 8 "Date de fin de contrat",
    "57" 8 8 "Date de signature du contrat",
    "58" 0 11 "Salaire net imposable",
    "59" 0 12 "Cumul du salaire net imposable",
    "5A" 0 11 "Salaire brut du mois",
    "5B" 0 12 "Cumul du salaire brut",
    "5C" 0 11 "Salaire net",
    "60" 0 60 "Liste des prénoms",
    "61" 0 20 "Prénom",
    "62" 0 38 "Nom patronymique",
    "63" 0 38 "Nom d'usage",
    "64" 0 38 "Nom d'épouse/époux",
    "65" 2 2 "Type de pièce d'identité",
    "66" 0 20 "Numéro de la pièce d'identité",
    "67" 2 2 "Nationalité",
    "68" 1 1 "Genre",
    "69" 8 8 "Date de naissance",
    "6A" 0 32 "Lieu de naissance",
    "6B" 3 3 "Département du bureau émetteur",
    "6C" 2 2 "Pays de naissance",
    "6D" 0 60 "Nom et prénom du père",
    "6E" 0 60 "Nom et prénom de la mère",
    "6F" 0 90 "Machine Readable Zone (Zone de Lecture Automatique, ZLA)",
    "6G" 1 38 "Nom",
    "6H" 1 10 "Civilité",
    "6I" 2 2 "Pays émetteur",
    "6J" 1 1 "Type de document étranger",
    "6K" 19 19 "Numéro de la demande de document étranger",
    "6L" 8 8 "Date de dépôt de la demande",
    "6M" 0 40 "Catégorie du titre",
    "6N" 8 8 "Date de début de validité",
    "6O" 8 8 "Date de fin de validité",
    "6P" 0 40 "Autorisation",
    "6Q" 0 10 "Numéro d'étranger",
    "6R" 12 12 "Numéro de visa",
    "70" 12 12 "Date et heure du décès",
    "71" 12 12 "Date et heure du constat de décès",
    "72" 1 38 "Nom du défunt",
    "73" 0 60 "Prénoms du défunt",
    "74" 0 38 "Nom de jeune fille du défunt",
    "75" 8 8 "Date de naissance du défunt",
    "76" 1 1 "Genre du défunt",
    "77" 0 45 "Commune de décès",
    "78" 5 5 "Code postal de la commune de décès",
    "79" 0 114 "Adresse du domicile du défunt",
    "7A" 5 5 "Code postal du domicile du défunt",
    "7B" 0 45 "Commune du domicile du défunt",
    "7C" 1 1 "Obstacle médico-légal",
    "7D" 1 1 "Mise en bière",
    "7E" 1 1 "Obstacle aux soins de conservation",
    "7F" 1 1 "Obstacle aux dons du corps",
    "7G" 1 1 "Recherche de la cause du décès",
    "7H" 2 2 "Délai de transport du corps",
    "7I" 1 1 "Prothèse avec pile",
    "7J" 1 1 "Retrait de la pile de prothèse",
    "7K" 13 13 "Code NNC",
    "7L" 9 9 "Code Finess de l'organisme agréé",
    "7M" 0 64 "Identification du médecin",
    "7N" 0 128 "Lieu de validation du certificat de décès",
    "7O" 1 1 "Certificat de décès supplémentaire",
    "7P" 16 16 "Identifiant du certificat",
    "80" 0 38 "Nom",
    "81" 0 60 "Prénoms",
    "82" 0 20 "Numéro de carte",
    "83" 0 40 "Organisme de tutelle",
    "84" 0 40 "Profession",
    "85" 17 17 "Numéro de permis de chasser",
    "86" 12 12 "Numéro de licence",
    "90" 0 38 "Identité de l'huissier de justice",
    "91" 0 38 "Identité ou raison sociale du demandeur",
    "92" 0 38 "Identité ou raison sociale du destinataire",
    "93" 0 38 "Identité ou raison sociale de tiers concerné",
    "94" 0 38 "Intitulé de l'acte",
    "95" 0 18 "Numéro de l'acte",
    "96" 8 8 "Date de signature de l'acte",
    "A0" 2 2 "Pays ayant émis l'immatriculation du véhicule",
    "A1" 0 17 "Immatriculation du véhicule",
    "A2" 0 17 "Marque du véhicule",
    "A3" 0 17 "Nom commercial du véhicule",
    "A4" 17 17 "Numéro de série du véhicule (VIN)",
    "A5" 3 3 "Catégorie du véhicule",
    "A6" 2 2 "Carburant",
    "A7" 3 3 "Taux d'émission de CO2 du véhicule (en g/km)",
    "A8" 0 12 "Indication de la classe environnementale de réception CE",
    "A9" 3 3 "Classe d'émission polluante",
    "AA" 8 8 "Date de première immatriculation du véhicule",
    "AB" 0 8 "Type de lettre",
    "AC" 0 19 "N° Dossier",
    "AD" 4 4 "Date Infraction",
    "AE" 4 4 "Heure de l'infraction",
    "AF" 1 1 "Nombre de points retirés lors de l'infraction",
    "AG" 1 1 "Solde de points",
    "AH" 0 30 "Numéro de la carte",
    "AI" 8 8 "Date d'expiration initiale",
    "AJ" 13 13 "Numéro EVTC",
    "AK" 7 7 "Numéro de macaron",
    "AL" 11 11 "Numéro de la carte",
    "B0" 0 60 "Liste des prénoms",
    "B1" 0 20 "Prénom",
    "B2" 0 38 "Nom patronymique",
    "B3" 0 38 "Nom d'usage",
    "B4" 0 38 "Nom d'épouse/époux",
    "B5" 2 2 "Nationalité",
    "B6" 1 1 "Genre",
    "B7" 8 8 "Date de naissance",
    "B8" 0 32 "Lieu de naissance",
    "B9" 2 2 "Pays de naissance",
    "BA" 1 1 "Mention obtenue",
    "BB" 0 50 "Numéro ou code d'identification de l'étudiant",
    "BC" 0 20 "Numéro du diplôme",
    "BD" 1 1 "Niveau du diplôme selon la classification CEC",
    "BE" 3 3 "Crédits ECTS obtenus",
    "BF" 3 3 "Année universitaire",
    "BG" 2 2 "Type de diplôme",
    "BH" 0 30 "Domaine",
    "BI" 0 30 "Mention",
    "BJ" 0 30 "Spécialité",
    "BK" 14 14 "Numéro de l'Attestation de versement de la CVE",
    "F0" 0 38 "Liste des prénoms",
    "F1" 0 60 "Nom patronymique",
    "F2" 8 8 "Date de naissance",
    "F3" 1 1 "Genre",
    "F4" 3 7 "Code analyse",
    "F5" 1 1 "Résultat de l'analyse",
    "F6" 12 12 "Date et heure du prélèvement",
    "G0" 2 2 "Type de procédure",
    "G1" 2 2 "Orientation régionale",
    "G2" 0 20 "Numéro d'usager",
    "G3" 8 8 "Date de fin des droits",
    "G4" 0 10 "Somme des montants versés au titre de l'ADA",
    "G5" 0 45 "Information de la Direction Territoriale",
    "L0" 0 80 "Nom Patronymique du patient",
    "L1" 0 80 "Liste des prénoms du patient",
    "L2" 8 8 "Date de naissance du patient",
    "L3" 0 30 "Nom de la maladie couverte",
    "L4" 5 15 "Agent prophylactique",
    "L5" 5 30 "Nom du vaccin",
    "L6" 5 30 "Fabricant du vaccin",
    "L7" 1 1 "Rang du dernier état de vaccination effectué",
    "L8" 1 1 "Nombre de doses attendues pour un cycle complet",
    "L9" 8 8 "Date du dernier état du cycle de vaccination",
    "LA" 2 2 "Etat du cycle de vaccination",
];

/// Looks up a DI of perimeter `01`.
pub fn lookup(id: &[u8]) -> Option<&'static DataIdDefinition> {
    PERIMETER_01.iter().find(|d| d.id.as_bytes() == id)
}

#[cfg(test)]
mod tests {
    #[test]
    fn identifiers_are_unique() {
        let mut ids: Vec<_> = super::PERIMETER_01.iter().map(|d| d.id).collect();
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n);
    }
}
