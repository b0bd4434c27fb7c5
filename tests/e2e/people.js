// Persons of tests/e2e/roster.csv, and a complete individual form for 李四 (46 years old on
// 30 September, 肢体 二级, rural household), in the three parts the roster test gives them in.
const LI_SI = {
  cert: "33011019800515002642",
  parts: [
    { person_status: "1", ethnicity: "01", marital_status: "20", phone_mobile: "13812345678", in_institution: "2" },
    {
      rural_status: "4", rural_housing: "2", literate: "1", education: "3", employed: "1",
      employment_form: "6", job_support: ["3"], job_need: ["6"],
    },
    {
      worker_insurance: ["4"], resident_pension: "1", pension_subsidy: "2", medical_insurance: "1",
      // With the house in fair state, 享受农村危房改造 (5) raises a warning; 无 (6) does not.
      medical_subsidy: "2", social_assistance: ["6"], welfare_subsidy: ["4"],
      // 二级 is a severe disability: care services are asked.
      care_service: "1", family_doctor: "1", ill_two_weeks: "2", rehab_received: ["3"],
      rehab_need: ["3"], home_mod_done: "2", home_mod_need: ["1", "2"], culture_active: "1",
      head_name: "李四", respondent: "1",
    },
  ],
};

/// 李四's whole form in one object.
const LI_SI_ANSWERS = Object.assign({}, ...LI_SI.parts);

module.exports = { LI_SI, LI_SI_ANSWERS };
