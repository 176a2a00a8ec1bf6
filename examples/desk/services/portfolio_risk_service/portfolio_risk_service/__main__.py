from portfolio_risk_service.app import main

raise SystemExit(main())
